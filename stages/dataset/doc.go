// Package dataset holds nnpipe's in-memory labelled table ([Dataset]), the train/test
// assignment of its rows ([Split]), and every codec that moves them or any other typed table
// in and out of files: Parquet for the pipeline's own artifacts (datasets, splits,
// predictions, histories, summaries) and CSV or Parquet for the user's data ([Load]).
//
// A dataset may carry extra columns ([Column]) that are neither features nor the label, such
// as a 0/1 `train` column: [Load] keeps the ones it is asked to ([LoadOptions.Keep]),
// [WriteFile] and [ReadFile] pass them through as string columns, and a split stage reads
// them. They are opt-in so that the columns nobody asked for cost no memory.
//
// It is the only package of the project that imports Apache Arrow, so that the other
// packages' test binaries stay small and link fast.
//
// # Parquet library
//
// Parquet goes through github.com/apache/arrow-go/v18's lower-level parquet/file and
// parquet/schema packages, not parquet/pqarrow: `go list -deps` counts 281 packages for
// parquet/file against 407 for pqarrow, which pulls in arrow/flight and with it gRPC and
// protobuf. The project's tables are flat columns of a handful of primitive types, which the
// column-chunk writers and readers handle directly, without building Arrow arrays.
//
// # Files written here
//
// Every file is plain Parquet that any reader opens (DuckDB, pandas, Spark): REQUIRED
// columns of INT64, INT32, DOUBLE, BOOLEAN or BYTE_ARRAY annotated as UTF-8 strings, snappy
// compression, plain encoding (no dictionaries), created_by "nnpipe", and the caller's
// key-value metadata sorted by key. Writing equal input twice gives identical bytes.
// Tables are written in row groups of at most [RowGroupRows] rows, so a large table is never
// held whole in memory by the writer.
//
// A write that returns an error removes the file it was writing; it never leaves a
// half-written file behind.
//
// # Files read here
//
// Every reader trusts nothing a Parquet file says about itself: the footer is walked before it
// is decoded (at most 64 MiB, 4 Mi Thrift values and 20,001 schema elements, structs nested at
// most 32 deep), then its claims are checked against the file's size and each other (rows
// from 0 to 2³¹−1, at most [MaxColumns] columns, row groups that add up to the rows, every
// column chunk inside the file with one value a row), page headers are checked as pages are
// read (no page larger than the file allows, no dictionary larger than its chunk or its bytes),
// and arrays grow with the values actually decoded rather than to the claimed row count. A
// file may decode to at most 16 Mi values plus 64 a byte of its size. A file breaking any of
// this is an error, never an allocation it asked for.
package dataset

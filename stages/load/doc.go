// Package load is the `load` stage kind: it reads the user's own table, a CSV or Parquet file,
// into the pipeline's dataset.
//
// The label column may hold integers or strings; the classes are its sorted distinct values,
// from 2 to dataset.MaxClasses (1,000), and their names travel with the dataset into the
// metrics and the predictions. Text that is not valid UTF-8 (a label, a kept value, the name
// of a feature) is refused, since every later reader expects text, and so is a column name
// that appears twice in the file. The features
// are the columns listed, or every other numeric column but an unnamed row index (no name, or
// pandas' __index_level_0__). Columns listed under `keep` ride along
// as text without being features, for a later stage such as `split` with `column`.
//
// The file's SHA-256 joins the stage's cache key (see [Fingerprint]): editing the file reruns
// the stage and whatever its output feeds, touching it does not. The stage then hashes exactly
// the bytes it parses (a CSV file as it streams; a Parquet file, read out of order, as it is
// copied into the stage's temporary folder, the copy being parsed) and fails, writing
// nothing, unless they have the key's digest: a file rewritten, truncated or replaced between
// the key and the read, or during it, can never file its new rows under its old key. That
// failure (dataset.ErrChanged) is not invalid input: running again reads the new content.
// A relative path is relative
// to the config file's folder. A problem with the data is the user's input error: the run
// exits with status 2 and one line that names the file and, where it applies, the line (CSV)
// or row (Parquet) and the column.
package load

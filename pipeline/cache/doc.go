// Package cache is a content-addressed store of stage outputs, modelled on
// Go's build cache.
//
// A key is the SHA-256 of a printable, versioned preimage that describes a
// repeatable computation (see Key). An entry is a directory
// <dir>/v1/<first 2 hex of key>/<key>/ holding the output files and, written
// last, entry.json with every file's size and SHA-256. Entries are built in
// <dir>/tmp and published by one rename, so a reader never sees a partial
// entry, whatever moment the writer was killed at. Lookups never write, and
// every lookup verifies the digests: a damaged entry is a miss with a reason.
// Two processes publishing the same key both succeed and one entry remains.
//
// The cache knows nothing about stages: what an entry means is the caller's
// metadata, stored verbatim in entry.json.
package cache

// Package s3store keeps the stage cache on S3-compatible object storage
// (Amazon S3, MinIO, versitygw, Ceph RGW …) with the promises of the file
// cache (package cache): an entry appears whole or not at all, every hit
// is verified, two writers of one key both succeed and one entry remains,
// and gc removes nothing a running process uses. It is the only package
// that imports the S3 client, github.com/minio/minio-go/v7.
//
// # Layout
//
// Under s3://BUCKET/PREFIX:
//
//	v1/<2 hex>/<key>/entry.json   an entry: the cache's entry.json, unchanged
//	files/<2 hex>/<sha256>        the content of a file an entry lists, by its digest
//	failures/<key>.json           the record of a failed computation
//	failures/<key>/kept.json      what it kept (a list of files, as entry.json)
//	leases/<id>/alive             a running process: rewritten as its heartbeat
//	leases/<id>/<n>               the keys and files it uses, one per line
//	gc                            present while a gc runs
//
// Files are stored by digest, so that a second writer of a key, or of a
// file another entry has, writes the very same bytes: no object that an
// entry.json names is ever replaced by other content.
//
// # Publishing
//
// Publish digests the outputs, records the key and the digests in its
// lease, uploads every file (unconditionally: a damaged copy is thereby
// repaired), then creates entry.json with If-None-Match: *, so the entry
// appears by that one request. If entry.json exists, the first writer has
// won: when it lists the same files the publish succeeds as it is; when it
// lists others, it is used instead (downloaded and verified); when it is
// damaged, it is deleted, if it is still the object read, and the create is
// tried again. A process that dies or loses the server half-way leaves
// files no entry names, which gc removes; never a partial entry. Servers
// that do not honour If-None-Match are refused: every process checks it on
// its own lease, before it writes anything else.
//
// # Lookups and the local copy
//
// A lookup reads entry.json, then the files: from the local copy, a file
// cache on this machine (NNPIPE_S3_COPY, by default the user's cache
// folder), whose entries are named by the SHA-256 of the entry.json they
// copy and are verified like any file cache hit; otherwise by downloading
// each file and checking its size and SHA-256 as it streams into the copy.
// A file that does not match makes the entry damaged: a miss with a
// warning, recomputed and published again, which re-uploads the file. A
// missing file does so only while entry.json is still the one read (its
// ETag, by a HEAD): gc deletes entry.json before the files, so an entry
// whose entry.json is gone is a miss, and one replaced meanwhile is read
// again. Verify does the same. When
// a process closes the store, it trims the local copy to
// NNPIPE_S3_COPY_MB megabytes (1024 by default), removing the least
// recently used entries that no running process on the machine holds.
// Verify (cache verify) always reads the bucket, never the copy.
//
// # Leases, heartbeats and gc
//
// A process that relies on an entry (a hit it copies, an entry it
// publishes, a failure record) first appends "key <key>" (and, before an
// upload, "file <sha256>") to its lease segment, rewriting that object,
// then looks for the gc marker. While a live marker exists it waits (a gc
// on the bucket pauses lookups for as long as it runs), then goes on. gc
// creates the marker (If-None-Match: *, so one gc at a time), then lists
// the leases, and deletes only what no live lease names. With S3's strong
// read-after-write consistency for PUT, HEAD and LIST, of "the process
// writes its lease, then reads the marker" and "gc writes the marker, then
// reads the leases", at least one side sees the other: either gc keeps the
// entry, or the process waits for gc to finish and then finds the entry
// there or not (a miss, recomputed). Each line is written once per
// process; the marker check is one HEAD.
//
// A lease is live while its heartbeat is: the process rewrites
// leases/<id>/alive every TTL/6 (NNPIPE_S3_LEASE_TTL, 60 s by default),
// and gc counts a lease dead when the server's clock is more than TTL past
// the object's Last-Modified; a dead lease protects nothing and gc deletes
// it. The process, for its part, stops relying on its lease TTL/2 after
// the last heartbeat that succeeded (timed by its own monotonic clock from
// before the request), so every later cache operation fails with an error
// (exit status 1) instead of trusting entries gc may remove; the gc marker
// is kept alive the same way, and a gc whose heartbeat lapses stops before
// its next delete. A marker whose heartbeat stopped for TTL belongs to a
// gc that died: lookups go on, and the next gc replaces it.
//
// Assumptions: the server is strongly consistent (Amazon S3 is since
// December 2020; MinIO and versitygw are); it honours If-None-Match: * on
// PutObject (Amazon S3 since August 2024); and the server's clock — the
// Last-Modified of objects and the Date of responses, which gc compares,
// from one clock or from clocks that agree — does not drift from real
// time by more than TTL/4 between a heartbeat and the gc that judges it.
// The clocks of the machines running nnpipe need not agree with anything:
// only their own elapsed time is used. A process paused (SIGSTOP, a
// suspended virtual machine) for longer than TTL/2 fails its next cache
// operation rather than trust its lease.
//
// # Faults
//
// Every request is given NNPIPE_S3_TIMEOUT (30 s by default) without
// progress — no byte sent or received — before it is abandoned, and is
// retried at most twice on network errors; a file's download that the
// network cuts short goes on from where it stopped, at most twice (its
// digest, checked over the whole, still decides). A server that is down or stops
// answering mid-run makes the run fail with an error naming the request
// (exit status 1), and publishes nothing partial. Bad credentials, an
// unknown bucket or a refused request on opening are invalid input
// (*UserError): nothing has run yet.
package s3store

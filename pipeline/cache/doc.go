// Package cache is a content-addressed store of stage outputs, modelled on
// Go's build cache.
//
// A key is the SHA-256 of a printable, versioned preimage that describes a
// repeatable computation (see Key). An entry is a directory
// <dir>/v1/<first 2 hex of key>/<key>/ holding the output files and, written
// last, entry.json with every file's size and SHA-256. Entries are built in
// <dir>/tmp and published by one rename, so a reader never sees a partial
// entry, whatever moment the writer was killed at. Every lookup verifies
// the digests: a damaged entry is a miss with a reason. Two processes
// publishing the same key both succeed and one entry remains.
//
// # Lookups never write an entry
//
// Get reads and digests an entry and writes nothing anywhere. Use, the
// lookup of a caller that goes on to read an entry's files, writes one
// line to the caller's lease (below) before it looks; it never writes the
// entry, nor anything another process reads as cache content.
//
// # Damaged entries and files nnpipe did not make
//
// A damaged entry is replaced when its key is published again. It is
// deleted only if everything in it is a regular file its entry.json lists
// (or entry.json itself, or a folder): a damaged entry that holds anything
// else — a user's files put there, a symbolic link, files of an entry
// whose entry.json is unreadable and so lists nothing — is moved whole to
// <dir>/quarantine/<12 hex of key>-<random>/<key> and Publish reports
// where (Entry.Quarantined). GC does the same with the entries it removes,
// and never removes anything in quarantine/: that is the user's to look
// at and delete.
//
// # Work in progress is safe from GC
//
// A process protects what it uses with a lease: a file
// <dir>/leases/<pid>-<random>.lease that it creates on first need and
// holds an exclusive flock(2) on until Close. Before it relies on a
// build folder or an entry, it appends a line naming it:
//
//	tmp build-<random>    a build folder in tmp/ (TempDir), before it is made
//	key <64 hex>          an entry, before Use looks it up or Publish renames
//	                      it into place; also the key's failure records
//
// GC removes nothing a live lease names, however old: a training that
// runs for a day keeps its build folder, and the entries a run took as
// hits stay until it has copied them into its run directory. A lease is
// live while its flock is held; the kernel releases the lock when the
// process exits or is killed, so a dead process's lease protects nothing
// and GC deletes it. What dead processes left (build folders, trash
// folders, failure records) is removed once nothing in it changed for
// GCOptions.KeepRecent.
//
// The race "GC reads the leases; a process records a key and verifies its
// entry; GC deletes the entry" is closed by the cache-wide lock file
// <dir>/lock: a process holds it shared (flock LOCK_SH) only while it
// appends to its lease, and GC holds it exclusively while it reads the
// leases and renames what they do not protect out of the way. A key is
// therefore recorded wholly before GC reads the leases (GC keeps the
// entry) or wholly after GC has moved the entry away (the lookup misses
// and the stage is recomputed). The lookup itself, with its digests, runs
// outside the lock. A line costs a mutex, two flock calls and one write
// (see BenchmarkUse); each key is recorded once per process. On a network
// file system (NFS, SMB, Lustre, GPFS, CephFS, BeeGFS, FUSE …) each line is
// also fsynced before the lock is released, so that GC on another machine
// reads it. The guarantee needs flock(2) to be honoured across every
// machine that shares the cache: it is on local disks and NFS; Lustre needs
// the flock mount option (localflock is not enough).
//
// Close removes the lease, and the lock file and the leases and tmp
// folders when nothing else is in the cache, so a run refused for bad data
// leaves no cache folder. A cache on a read-only file system takes no
// lease: nothing can remove anything from it.
//
// The cache knows nothing about stages: what an entry means is the caller's
// metadata, stored verbatim in entry.json.
package cache

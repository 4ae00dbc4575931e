package cache

// Store is a cache as the engine and the cache commands use it. *Cache,
// the file cache, is one; package s3store keeps the same promises on
// S3-compatible object storage. Whatever the store, an entry's files are
// read from a local folder (Entry.Dir, and the paths FailedDir returns),
// and outputs are built in a local folder (TempDir) before Publish.
type Store interface {
	// Dir names the store in messages: a folder, or s3://BUCKET/PREFIX.
	Dir() string
	// Use returns the verified entry for key, which stays safe from GC
	// until Close; ErrMiss when there is none, a *DamagedError when it
	// does not verify.
	Use(key string) (*Entry, error)
	// Get is Use without the protection from GC: for a caller that looks
	// and does not go on to rely on the entry (plan).
	Get(key string) (*Entry, error)
	// Verify checks the stored entry for key as a hit does, reading the
	// store itself rather than any local copy of it: ErrMiss or a
	// *DamagedError when it is missing or damaged.
	Verify(key string) error
	// TempDir makes a local folder for a computation's outputs, safe from
	// GC until Close; the caller removes it unless it publishes it.
	TempDir() (string, error)
	// Publish makes the files in dir the entry for key, whole or not at
	// all, with meta in its entry.json; when another entry for key exists
	// and verifies, that one is kept and returned. dir is consumed.
	Publish(key, dir string, meta any) (*Entry, error)
	// RecordFailure stores rec as the record of a failed computation of
	// key; Failure reads it back; ClearFailure removes it.
	RecordFailure(key string, rec any) error
	Failure(key string) ([]byte, bool)
	ClearFailure(key string)
	// KeepFailed keeps the outputs a failed computation of key wrote, in
	// dir, beside its failure record; FailedDir returns a local folder
	// holding them.
	KeepFailed(key, dir string) (string, error)
	FailedDir(key string) (string, bool)
	// List returns every entry, sorted by key, with its entry.json parsed
	// but the files not verified.
	List() ([]Listed, error)
	// EntrySize returns the bytes of a listed entry: its entry.json and
	// its files.
	EntrySize(l Listed) int64
	// GC removes what opts does not keep and nothing that a running
	// process uses (see GCOptions).
	GC(opts GCOptions) (*GCResult, error)
	// CheckFolder reports, as a *NotCacheError, a location that holds no
	// cache or holds what the cache does not make, which the cache
	// commands refuse to work on.
	CheckFolder() error
	// CheckUse reports, as a *NotCacheError, a location that a run may not
	// write into: one that holds what the cache does not make, whose
	// entries mixed in could never be collected. One that holds nothing
	// yet is fine. It writes nothing.
	CheckUse() error
	// Close releases what this process used to GC.
	Close() error
}

var _ Store = (*Cache)(nil)

// Verify checks the entry for key, as Get does.
func (c *Cache) Verify(key string) error {
	_, err := c.Get(key)
	return err
}

// EntrySize returns the bytes of the regular files in a listed entry's
// folder, whatever its entry.json lists.
func (c *Cache) EntrySize(l Listed) int64 { return DirSize(l.Dir) }

// CheckFolder reports whether the cache's folder is one that verifying,
// sizing or collecting garbage may work on (see the function CheckFolder).
func (c *Cache) CheckFolder() error { return CheckFolder(c.dir) }

// CheckUse reports whether a run may use the cache's folder (see the
// function CheckUse).
func (c *Cache) CheckUse() error { return CheckUse(c.dir) }

package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Listed is one entry folder found by List: its key, where it is, and its
// entry.json parsed but not verified against the files, or why it could
// not be read.
type Listed struct {
	Key   string
	Dir   string
	Entry *Entry // nil when Err is set
	Err   error  // entry.json is missing, unreadable, malformed or names another key
	// JSONSize is the bytes of entry.json, for a store whose EntrySize
	// cannot measure the entry's folder (the S3 store's List sets it); 0
	// from the file cache, whose EntrySize counts entry.json in the folder.
	JSONSize int64
}

// List returns every entry folder of the cache, sorted by key, with its
// entry.json parsed the way Get parses it but without reading or digesting
// the output files: it is for describing the cache (what `plan` compares
// a miss against), not for using an entry, which only Get may hand out.
// Names that are not keys, the temporary folder and the failure records
// are skipped; something named by a key that is not a folder is listed
// with an error. A cache that does not exist yet lists
// nothing. It never writes. It stops, with the error of the context the
// Cache was opened with (OpenContext), once that is done.
func (c *Cache) List() ([]Listed, error) {
	root := filepath.Join(c.dir, versionDir)
	prefixes, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: list: %w", err)
	}
	var out []Listed
	for _, p := range prefixes {
		if err := c.context().Err(); err != nil {
			return nil, err
		}
		if !p.IsDir() || len(p.Name()) != 2 {
			continue
		}
		keys, err := os.ReadDir(filepath.Join(root, p.Name()))
		if err != nil {
			return nil, fmt.Errorf("cache: list: %w", err)
		}
		for _, k := range keys {
			key := k.Name()
			if !validKey(key) || key[:2] != p.Name() {
				continue
			}
			l := Listed{Key: key, Dir: filepath.Join(root, p.Name(), key)}
			e, err := readEntry(l.Dir)
			switch {
			case !k.IsDir():
				l.Err = errors.New("the entry is not a folder")
			case err != nil:
				l.Err = err
			case e.Key != key:
				l.Err = fmt.Errorf("entry.json names key %s", short(e.Key))
			default:
				l.Entry = e
			}
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

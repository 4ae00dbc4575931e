package results

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/report"
)

// Verify checks every entry of c (pipeline.VerifyCache) and writes what it found to w: one
// line per damaged entry, the count, and what the cache moved aside. It returns an error when
// an entry is damaged.
func Verify(ctx context.Context, w io.Writer, c cache.Store) error {
	checked, damaged, err := pipeline.VerifyCache(ctx, c)
	if err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(w, "damaged %s %s: %s\n", d.Key[:12], d.Kind, d.Reason)
	}
	fmt.Fprintf(w, "%s checked, %d damaged\n", report.Plural(checked, "entry", "entries"), len(damaged))
	writeQuarantine(w, c)
	if len(damaged) > 0 {
		return fmt.Errorf("cache %s: %s damaged; the next run recomputes them", c.Dir(), report.Plural(len(damaged), "entry is", "entries are"))
	}
	return nil
}

// Usage writes c's size by stage kind to w as a table, and what the cache moved aside.
func Usage(w io.Writer, c cache.Store) error {
	kinds, total, err := pipeline.CacheUsage(c)
	if err != nil {
		return err
	}
	t := report.Table{Header: []string{"kind", "entries", "size"}, Numeric: []bool{false, true, true}}
	for _, u := range append(kinds, total) {
		t.Rows = append(t.Rows, []string{u.Kind, fmt.Sprint(u.Entries), FormatBytes(u.Bytes)})
	}
	fmt.Fprintf(w, "cache %s\n", c.Dir())
	if err := t.Write(w, report.Text); err != nil {
		return err
	}
	writeQuarantine(w, c)
	return nil
}

// writeQuarantine says what the file cache moved aside instead of deleting, if anything.
func writeQuarantine(w io.Writer, st cache.Store) {
	c, ok := st.(*cache.Cache)
	if !ok {
		return // only the file cache moves entries aside
	}
	dir := c.QuarantineDir()
	names, err := os.ReadDir(dir)
	if err != nil || len(names) == 0 {
		return
	}
	fmt.Fprintf(w, "%s in %s (%s): damaged entries that held files nnpipe did not make; look at them and delete them\n",
		report.Plural(len(names), "folder", "folders"), dir, FormatBytes(cache.DirSize(dir)))
}

package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/spf13/cobra"
)

// cacheFlags locate the cache like `run` does.
type cacheFlags struct {
	results string
	cache   string
}

func (f *cacheFlags) register(c *cobra.Command) {
	c.PersistentFlags().StringVar(&f.results, "results", "results", "the results `DIR` whose runs count as references")
	c.PersistentFlags().StringVar(&f.cache, "cache", "", "the cache `DIR` (default <results>/.cache, or $NNPIPE_CACHE)")
}

func (f *cacheFlags) open(c *cobra.Command) (*cache.Cache, error) {
	cf := commonFlags{results: f.results, cache: f.cache}
	dir, err := cf.cacheDir(c)
	if err != nil {
		return nil, err
	}
	return cache.Open(dir), nil
}

func newCacheCmd(e *env) *cobra.Command {
	var f cacheFlags
	c := &cobra.Command{
		Use:   "cache verify|gc|du",
		Short: "Check, clean and size the stage cache",
	}
	f.register(c)
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every entry's files against their digests; exit 1 if any is damaged",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			ch, err := f.open(c)
			if err != nil {
				return err
			}
			return cacheVerify(e, ch)
		},
	}
	var keep time.Duration
	var dryRun bool
	gc := &cobra.Command{
		Use:   "gc",
		Short: "Remove the entries no finished run or sweep under --results references",
		Long: "Remove every cache entry that no finished run or sweep trial under --results references\n" +
			"(their manifest.json lists the stage keys), failure records, and what killed processes left\n" +
			"half-built (the cache's tmp/ and .tmp-* folders under --results). Anything younger than\n" +
			"--keep-recent is kept, so a run in progress does not lose its work.",
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			ch, err := f.open(c)
			if err != nil {
				return err
			}
			return cacheGC(e, ch, f.results, keep, dryRun)
		},
	}
	gc.Flags().DurationVar(&keep, "keep-recent", time.Hour, "keep entries created within this `DURATION`")
	gc.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed, remove nothing")
	du := &cobra.Command{
		Use:   "du",
		Short: "Show the cache's size by stage kind",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			ch, err := f.open(c)
			if err != nil {
				return err
			}
			return cacheDU(e, ch)
		},
	}
	c.AddCommand(verify, gc, du)
	return c
}

func cacheVerify(e *env, c *cache.Cache) error {
	listed, err := c.List()
	if err != nil {
		return err
	}
	damaged := 0
	for _, l := range listed {
		reason := ""
		if l.Err != nil {
			reason = l.Err.Error()
		} else if _, err := c.Get(l.Key); err != nil {
			reason = err.Error()
			if d, ok := err.(*cache.DamagedError); ok {
				reason = d.Reason
			}
		}
		if reason != "" {
			damaged++
			fmt.Fprintf(e.stdout, "damaged %s %s: %s\n", l.Key[:12], kindOf(l), reason)
		}
	}
	fmt.Fprintf(e.stdout, "%s checked, %d damaged\n", plural(len(listed), "entry", "entries"), damaged)
	if damaged > 0 {
		return fmt.Errorf("cache %s: %s damaged; the next run recomputes them", c.Dir(), plural(damaged, "entry is", "entries are"))
	}
	return nil
}

// kindOf returns the stage kind recorded in an entry, or "?".
func kindOf(l cache.Listed) string {
	if l.Entry == nil {
		return "?"
	}
	var m pipeline.EntryMeta
	if json.Unmarshal(l.Entry.Meta, &m) != nil || m.Kind == "" {
		return "?"
	}
	return m.Kind
}

// referencedKeys returns the stage keys listed by every manifest.json of a
// finished run or sweep trial under results.
func referencedKeys(results string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := filepath.WalkDir(results, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == results {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() && path != results && (strings.HasPrefix(d.Name(), ".")) {
			return fs.SkipDir // the cache and unfinished runs
		}
		if d.IsDir() || d.Name() != "manifest.json" {
			return nil
		}
		var m manifest
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if json.Unmarshal(b, &m) != nil {
			return nil // not ours
		}
		for _, s := range m.Stages {
			keys[s.Key] = true
		}
		return nil
	})
	return keys, err
}

func cacheGC(e *env, c *cache.Cache, results string, keep time.Duration, dryRun bool) error {
	refs, err := referencedKeys(results)
	if err != nil {
		return fmt.Errorf("read the runs under %s: %w", results, err)
	}
	listed, err := c.List()
	if err != nil {
		return err
	}
	var freed int64
	removed, kept := 0, 0
	now := time.Now()
	for _, l := range listed {
		if refs[l.Key] {
			kept++
			continue
		}
		if l.Entry != nil && now.Sub(l.Entry.Created) < keep {
			kept++
			continue
		}
		size := cache.DirSize(l.Dir)
		if dryRun {
			fmt.Fprintf(e.stdout, "would remove %s %s (%s)\n", l.Key[:12], kindOf(l), formatBytes(size))
		} else if err := c.Remove(l.Key); err != nil {
			return err
		}
		removed++
		freed += size
	}
	if !dryRun {
		tmp, err := c.RemoveStaleTemp(keep)
		if err != nil {
			return err
		}
		freed += tmp
		// Run and sweep folders that killed processes left half-built.
		names, _ := os.ReadDir(results)
		for _, n := range names {
			if n.IsDir() && !strings.HasPrefix(n.Name(), ".") {
				left, err := cache.RemoveOlder(filepath.Join(results, n.Name()), pipeline.TempPrefix, keep)
				freed += left
				if err != nil {
					return err
				}
			}
		}
	}
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	fmt.Fprintf(e.stdout, "%s %s, kept %d, freed %s\n", verb, plural(removed, "entry", "entries"), kept, formatBytes(freed))
	return nil
}

func cacheDU(e *env, c *cache.Cache) error {
	listed, err := c.List()
	if err != nil {
		return err
	}
	type agg struct {
		n     int
		bytes int64
	}
	by := map[string]*agg{}
	var total int64
	for _, l := range listed {
		k := kindOf(l)
		if by[k] == nil {
			by[k] = &agg{}
		}
		size := cache.DirSize(l.Dir)
		by[k].n++
		by[k].bytes += size
		total += size
	}
	kinds := make([]string, 0, len(by))
	for k := range by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	t := report.Table{Header: []string{"kind", "entries", "size"}, Numeric: []bool{false, true, true}}
	for _, k := range kinds {
		t.Rows = append(t.Rows, []string{k, fmt.Sprint(by[k].n), formatBytes(by[k].bytes)})
	}
	t.Rows = append(t.Rows, []string{"total", fmt.Sprint(len(listed)), formatBytes(total)})
	fmt.Fprintf(e.stdout, "cache %s\n", c.Dir())
	return t.Write(e.stdout, report.Text)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

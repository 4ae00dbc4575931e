package main

import (
	"context"
	"errors"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
)

// cacheFlags locate the cache like `run` does.
type cacheFlags struct {
	results string
	cache   string
}

func (f *cacheFlags) register(c *cobra.Command) {
	c.PersistentFlags().StringVar(&f.results, "results", "results", "the results `DIR` whose runs count as references")
	c.PersistentFlags().StringVar(&f.cache, "cache", "", cacheUsage)
}

// open resolves the cache folder and refuses one that does not exist or
// is not a cache: reporting "0 entries checked" or removing what is in
// someone else's folder would hide a mistyped path.
func (f *cacheFlags) open(c *cobra.Command) (cache.Store, error) {
	if err := f.checkResults(); err != nil {
		return nil, err
	}
	cf := commonFlags{results: f.results, cache: f.cache}
	dir, err := cf.cacheDir(c)
	if err != nil {
		return nil, err
	}
	st, err := openCache(c.Context(), dir, false)
	if err == nil {
		err = checkCacheFolder(st)
	}
	return st, err
}

// checkResults refuses an empty --results, as run does, rather than
// taking it for the current folder (whose .cache would be the cache).
func (f *cacheFlags) checkResults() error {
	if f.results == "" {
		return usagef("--results: must not be empty")
	}
	return nil
}

// checkCacheFolder refuses a cache folder that does not exist, is not a
// folder, or holds something the cache does not make: invalid input.
func checkCacheFolder(st cache.Store) error {
	err := st.CheckFolder()
	var nc *cache.NotCacheError
	switch {
	case errors.As(err, &nc) && nc.Missing:
		return usagef("%v (see --cache, --results and $NNPIPE_CACHE)", err)
	case errors.As(err, &nc):
		return usagef("%v", err)
	}
	return err
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
			return results.Verify(c.Context(), e.stdout, ch)
		},
	}
	var keep time.Duration
	var dryRun bool
	gc := &cobra.Command{
		Use:   "gc",
		Short: "Remove the entries no finished run or sweep under --results references",
		Long: "Remove every cache entry that no finished run or sweep trial under --results references\n" +
			"(their manifest.json lists the stage keys), failure records, and what killed processes left\n" +
			"half-built (the cache's tmp/ and .tmp-* folders under --results). Whatever a running nnpipe\n" +
			"uses (its build folders, the entries it took as hits) is kept however old it is; of the rest,\n" +
			"anything younger than --keep-recent is kept. An entry holding files nnpipe did not make is\n" +
			"moved to the cache's quarantine folder, never deleted.",
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			if keep < 0 {
				return usagef("--keep-recent: must be >= 0, got %v", keep)
			}
			// The runs first: the cache's default place is under them.
			if err := f.checkResults(); err != nil {
				return err
			}
			if err := results.CheckGCResults(f.results); err != nil {
				return err
			}
			ch, err := f.open(c)
			if err != nil {
				return err
			}
			return cacheGC(c.Context(), e, ch, f.results, keep, dryRun)
		},
	}
	gc.Flags().DurationVar(&keep, "keep-recent", time.Hour, "keep entries created, and leftovers of killed processes modified, within this `DURATION`")
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
			return results.Usage(e.stdout, ch)
		},
	}
	c.AddCommand(verify, gc, du)
	return c
}

func cacheGC(ctx context.Context, e *env, c cache.Store, resultsDir string, keep time.Duration, dryRun bool) error {
	root, err := results.GCRoot(resultsDir, c.Dir())
	if err != nil {
		return err
	}
	defer c.Close()
	res, freed, err := results.GC(ctx, c, root, keep, dryRun)
	if err != nil {
		return err
	}
	results.WriteGC(e.stdout, res, freed, dryRun)
	return nil
}

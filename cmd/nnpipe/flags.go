package main

import (
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// cacheUsage is the help of --cache, the same for every command that takes it.
const cacheUsage = "the cache: a `DIR`, or s3://BUCKET/PREFIX (default <results>/.cache, or $NNPIPE_CACHE)"

// maxJobs is the most --jobs accepts. Each worker costs a goroutine and
// scratch memory, so an absurd count is a typo to refuse, not a request to
// honour until the memory runs out; no machine this runs on has more cores.
const maxJobs = 1024

// commonFlags are the flags `run` and `sweep` share.
type commonFlags struct {
	sets    []string
	out     string
	results string
	cache   string
	noCache bool
	quiet   bool
	json    bool
	jobs    int
}

func (f *commonFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVar(&f.sets, "set", nil, "override a config value: KEY=VALUE (train.hidden=4, seed=3, sweep.train.hidden=1,2,4); repeatable")
	fl.StringVar(&f.out, "out", "", "write the results exactly to `DIR` (must not exist, or be empty)")
	fl.StringVar(&f.results, "results", "results", "the results `DIR`; runs land in DIR/<name>/")
	fl.StringVar(&f.cache, "cache", "", cacheUsage)
	fl.BoolVar(&f.noCache, "no-cache", false, "recompute every stage (results are still cached)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display and no messages but errors")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON on stdout")
	f.jobs = min(runtime.NumCPU(), maxJobs)
	fl.VarP(decimalFlag[int]{&f.jobs}, "jobs", "j", fmt.Sprintf("parallel workers, 1 to %d", maxJobs))
}

// cacheDir resolves the cache's location: --cache, then $NNPIPE_CACHE, then
// <results>/.cache. Viper does the layering of flag over environment. A
// location that looks like an unsupported URL is refused.
func (f *commonFlags) cacheDir(c *cobra.Command) (string, error) {
	if fl := c.Flags().Lookup("cache"); fl != nil && fl.Changed && f.cache == "" {
		return "", usagef("--cache: must not be empty")
	}
	v := viper.New()
	if err := v.BindPFlag("cache", c.Flags().Lookup("cache")); err != nil {
		return "", err
	}
	if err := v.BindEnv("cache", "NNPIPE_CACHE"); err != nil {
		return "", err
	}
	if dir := v.GetString("cache"); dir != "" {
		if _, err := cache.ParseLocation(dir); err != nil {
			from := "NNPIPE_CACHE"
			if c.Flags().Changed("cache") {
				from = "--cache"
			}
			return "", usagef("%s %v", from, err)
		}
		return dir, nil
	}
	def := filepath.Join(f.results, ".cache")
	if _, err := cache.ParseLocation(def); err != nil {
		def = "." + string(filepath.Separator) + def // a --results like "res-12:30" is a folder, not a URL
	}
	return def, nil
}

// prepare checks the flags and resolves the cache folder.
func (f *commonFlags) prepare(c *cobra.Command) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	cacheDir, err := f.cacheDir(c)
	if err != nil {
		return "", err
	}
	// The overlaps first: their message says more than "not empty".
	if err := results.CheckPlaces(f.out, f.results, cacheDir); err != nil {
		return "", err
	}
	if err := f.checkOut(c); err != nil {
		return "", err
	}
	if f.out == "" {
		// Before the cache, whose default place is in it: the message
		// names the flag to change.
		if err := pipeline.CheckWritable(f.results); err != nil {
			return "", usagef("--results %v", err)
		}
	}
	return cacheDir, nil
}

// checkOut normalises --out (DIR/, DIR/., ./DIR and DIR// are DIR; a
// symbolic link is followed) and refuses, before any work, a folder that
// is not free: exit 2 for one that is not empty or not a folder.
func (f *commonFlags) checkOut(c *cobra.Command) error {
	if !c.Flags().Changed("out") {
		return nil
	}
	out, err := results.CleanOut(f.out)
	if err != nil {
		return err
	}
	f.out = out
	return nil
}

func (f *commonFlags) validate() error {
	if f.jobs < 1 || f.jobs > maxJobs {
		return usagef("--jobs: must be between 1 and %d, got %d", maxJobs, f.jobs)
	}
	if f.results == "" {
		return usagef("--results: must not be empty")
	}
	return nil
}

// checkGrid refuses, before it is expanded, a sweep grid of more than max
// trials (invalid input), and returns its size.
func checkGrid(path string, f *config.File, max uint64) (uint64, error) {
	size, ok := pipeline.GridSize(f.Sweep)
	if !ok {
		return 0, usagef("%s: the sweep grid has more than 2^64 trials; --max-trials is %d", config.Shown(path), max)
	}
	if size > max {
		return 0, usagef("%s: the sweep grid has %d trials, more than --max-trials %d", config.Shown(path), size, max)
	}
	return size, nil
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// commonFlags are the flags `run` and `sweep` share (design §1).
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
	fl.StringVar(&f.cache, "cache", "", "the cache `DIR` (default <results>/.cache, or $NNPIPE_CACHE)")
	fl.BoolVar(&f.noCache, "no-cache", false, "recompute every stage (results are still cached)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display and no messages but errors")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON on stdout")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel workers")
}

// cacheDir resolves the cache folder: --cache, then $NNPIPE_CACHE, then
// <results>/.cache. Viper does the layering of flag over environment.
func (f *commonFlags) cacheDir(c *cobra.Command) (string, error) {
	v := viper.New()
	if err := v.BindPFlag("cache", c.Flags().Lookup("cache")); err != nil {
		return "", err
	}
	if err := v.BindEnv("cache", "NNPIPE_CACHE"); err != nil {
		return "", err
	}
	if dir := v.GetString("cache"); dir != "" {
		return dir, nil
	}
	return filepath.Join(f.results, ".cache"), nil
}

// prepare checks the flags and resolves the cache folder.
func (f *commonFlags) prepare(c *cobra.Command) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	if err := f.checkOut(c); err != nil {
		return "", err
	}
	return f.cacheDir(c)
}

// checkOut normalises --out (DIR/, DIR/., ./DIR and DIR// are DIR; a
// symbolic link is followed) and refuses, before any work, a folder that
// is not free: exit 2 for one that is not empty or not a folder.
func (f *commonFlags) checkOut(c *cobra.Command) error {
	if !c.Flags().Changed("out") {
		return nil
	}
	out, err := cleanOut(f.out)
	if err != nil {
		return err
	}
	f.out = out
	return nil
}

func cleanOut(out string) (string, error) {
	if out == "" {
		return "", usagef("--out: must not be empty")
	}
	shown := out
	if strings.ContainsFunc(out, func(r rune) bool { return !unicode.IsPrint(r) }) {
		shown = strconv.Quote(out) // keep the message on one line
	}
	p := filepath.Clean(out)
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(p); err == nil {
			p = target // else CheckFree names the dangling link
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if abs, err := filepath.Abs(p); err == nil && abs == wd {
			return "", usagef("--out %s: is the current folder, which cannot be replaced; give a folder to create", shown)
		}
	}
	return p, outFree(shown, p)
}

// outFree checks that dir (spelled out by the user) is free for a run
// or sweep directory.
func outFree(out, dir string) error {
	err := pipeline.CheckFree(dir)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pipeline.ErrTaken), errors.Is(err, pipeline.ErrNotDir):
		return outTaken(out, dir, err)
	}
	return fmt.Errorf("--out %s: %w", out, err)
}

// outTaken is the error of an --out folder that is not free (err, from
// pipeline.CheckFree of dir): invalid input, exit 2.
func outTaken(out, dir string, err error) error {
	why := strings.TrimPrefix(err.Error(), dir+": ")
	return usagef("--out %s: %s; give a folder that does not exist or is empty", out, why)
}

func (f *commonFlags) validate() error {
	if f.jobs < 1 {
		return usagef("--jobs: must be >= 1, got %d", f.jobs)
	}
	if f.results == "" {
		return usagef("--results: must not be empty")
	}
	return nil
}

// parseOverrides parses every --set.
func parseOverrides(sets []string) ([]*config.Override, error) {
	var out []*config.Override
	var errs config.Errors
	for _, s := range sets {
		o, err := config.ParseOverride(s)
		if err != nil {
			errs = append(errs, &config.Error{Msg: err.Error()})
			continue
		}
		out = append(out, o)
	}
	return out, errs.Err()
}

// loadPlan reads, overrides and compiles a config.
func loadPlan(path string, sets []string, reg *pipeline.Registry) (*config.File, *pipeline.Plan, error) {
	overrides, err := parseOverrides(sets)
	if err != nil {
		return nil, nil, err
	}
	f, loadErr := config.Load(path, overrides)
	if f == nil {
		return nil, nil, loadErr
	}
	// Compile even when the file has problems, so that every problem of
	// the stages is reported together with those of the top level.
	p, err := pipeline.Compile(f, reg)
	var errs config.Errors
	errors.As(loadErr, &errs)
	if cerrs := (config.Errors{}); errors.As(err, &cerrs) {
		errs = append(errs, cerrs...)
	} else if err != nil {
		return f, nil, err
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return f, nil, errs
	}
	return f, p, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// sortErrors orders problems by line (those without one last), keeping the
// order of problems on the same line.
func sortErrors(errs config.Errors) {
	slices.SortStableFunc(errs, func(a, b *config.Error) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return la - lb
	})
}

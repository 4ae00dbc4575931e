package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// CheckPlaces refuses, before any work, an --out, --results and cache
// folder that would harm each other:
//   - --out in the cache, or where the default cache of --results lives:
//     the next run would take the run for a damaged cache entry;
//   - the cache in --out: the run directory must hold only the run;
//   - --out inside a run or sweep directory (a sweep's rerun replaces its
//     directory whole), or inside another cache than the run's;
//   - --results in the cache, or in another: a run named like a cache
//     folder (tmp, v1) would land among the cache's own folders, and
//     any run makes the cache hold a folder it does not make.
//
// The cache inside --results is fine: it is the default, <results>/.cache.
//
// Paths are compared absolute, with symbolic links resolved.
func CheckPlaces(out, resultsDir, cacheDir string) error {
	rr, rc := pipeline.ResolvePath(resultsDir), pipeline.ResolveCachePath(cacheDir)
	shownOut, shownResults, shownCache := config.Shown(out), config.Shown(resultsDir), config.Shown(cacheDir)
	if out != "" {
		ro := pipeline.ResolvePath(out)
		defaultCache := filepath.Join(resultsDir, ".cache")
		switch {
		case pipeline.Within(ro, rc):
			return invalidf("--out %s is inside the cache %s", shownOut, shownCache)
		case pipeline.Within(rc, ro):
			return invalidf("--out %s holds the cache %s: a run directory holds only the run", shownOut, shownCache)
		case pipeline.Within(ro, pipeline.ResolvePath(defaultCache)):
			return invalidf("--out %s is inside %s, the default cache of --results %s", shownOut, config.Shown(defaultCache), shownResults)
		}
		if run := EnclosingRun(ro); run != "" {
			return invalidf("--out %s is inside the run or sweep directory %s", shownOut, config.Shown(run))
		}
		if other := cache.Enclosing(filepath.Join(ro, "x")); other != "" {
			// Another results' cache: the run directory would be a folder
			// that cache does not make, and it would be refused.
			return invalidf("--out %s is inside the cache %s", shownOut, config.Shown(other))
		}
	}
	if pipeline.Within(rr, rc) {
		if rr == rc {
			return invalidf("--results and the cache are the same folder, %s", shownResults)
		}
		return invalidf("--results %s is inside the cache %s", shownResults, shownCache)
	}
	if other := cache.Enclosing(filepath.Join(rr, "x")); other != "" {
		return invalidf("--results %s is inside the cache %s", shownResults, config.Shown(other))
	}
	return nil
}

// CleanOut normalises out, the --out folder (DIR/, DIR/., ./DIR and DIR//
// are DIR; a symbolic link is followed), and refuses, as invalid input, a
// folder that is not free for a run or sweep directory: not empty, not a
// folder, the current folder, or named like one under construction.
func CleanOut(out string) (string, error) {
	if out == "" {
		return "", invalidf("--out: must not be empty")
	}
	shown := config.Shown(out) // keep the message on one line
	p := filepath.Clean(out)
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(p); err == nil {
			p = target // else CheckFree names the dangling link
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if abs, err := filepath.Abs(p); err == nil && abs == wd {
			return "", invalidf("--out %s: is the current folder, which cannot be replaced; give a folder to create", shown)
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
		return OutTaken(out, dir, err)
	case errors.Is(err, pipeline.ErrTempName):
		return invalidf("--out %s: %v; choose another name", out, pipeline.ErrTempName)
	}
	return fmt.Errorf("--out %s: %w", out, err)
}

// OutTaken is the error of an --out folder, spelled out by the user and
// resolved to dir, that is not free (err, from pipeline.CheckFree of dir):
// invalid input.
func OutTaken(out, dir string, err error) error {
	why := strings.TrimPrefix(err.Error(), dir+": ")
	return invalidf("--out %s: %s; give a folder that does not exist or is empty", out, why)
}

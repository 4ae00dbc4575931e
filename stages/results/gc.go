package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/report"
)

// CheckGCResults refuses, as invalid input, a --results that is not a
// folder: gc keeps the entries that the runs there reference, and would
// find none.
func CheckGCResults(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return invalidf("--results %s does not exist: gc keeps the entries the runs there reference, and would remove them all", dir)
	case err != nil:
		return fmt.Errorf("--results %s: %w", dir, err)
	case !fi.IsDir():
		return invalidf("--results %s is not a directory", dir)
	}
	return nil
}

// GCRoot refuses a --results that gc cannot read the runs of: one that
// CheckGCResults refuses, or one inside the cache at location. It returns
// the folder with symbolic links resolved, for walking.
func GCRoot(dir, location string) (string, error) {
	if err := CheckGCResults(dir); err != nil {
		return "", err
	}
	rr, rc := pipeline.ResolvePath(dir), pipeline.ResolveCachePath(location)
	if pipeline.Within(rr, rc) {
		return "", invalidf("--results %s is inside the cache %s", dir, location)
	}
	return rr, nil
}

// WriteGC writes what gc did (or, in a dry run, would do), as `cache gc`
// prints it: the entries a dry run would remove, those moved to the
// quarantine folder, the counts and bytes freed, and the running processes
// whose work was kept.
func WriteGC(w io.Writer, res *cache.GCResult, freed int64, dryRun bool) {
	verb, freedVerb := "removed", "freed"
	if dryRun {
		verb, freedVerb = "would remove", "would free"
		for _, r := range res.Removed {
			fmt.Fprintf(w, "would remove %s %s (%s)\n", r.Key[:12], pipeline.EntryKind(r.Listed), FormatBytes(r.Size))
		}
		for _, l := range res.Leftovers {
			fmt.Fprintf(w, "would remove %s, a %s (%s)\n", l.Name, l.What, FormatBytes(l.Size))
		}
	}
	for _, q := range res.Quarantined {
		if dryRun {
			fmt.Fprintf(w, "would move %s to the quarantine folder, not delete it: %s\n", q.Key[:12], q.Reason)
		} else {
			fmt.Fprintf(w, "moved %s to %s instead of deleting it: %s\n", q.Key[:12], q.Path, q.Reason)
		}
	}
	entries := "entries"
	if len(res.Removed) == 1 {
		entries = "entry"
	}
	left := ""
	if n := len(res.Leftovers); n > 0 {
		left = " and " + report.Plural(n, "leftover", "leftovers")
	}
	fmt.Fprintf(w, "%s %d %s%s, kept %d, %s %s\n", verb, len(res.Removed), entries, left, res.Kept, freedVerb, FormatBytes(freed))
	switch {
	case res.Leases == 1:
		fmt.Fprintln(w, "kept what 1 nnpipe process running now uses")
	case res.Leases > 1:
		fmt.Fprintf(w, "kept what %d nnpipe processes running now use\n", res.Leases)
	}
}

package results

import (
	"context"
	"encoding/json"
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
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
)

// Find resolves a path a user gave to the summary.parquet files it stands
// for: a run or sweep directory, its summary.parquet, or a folder holding
// run and sweep directories at any depth, such as results/ or
// results/<name>/ or a sweep's trials/. In a folder, every run and sweep
// directory with a summary is taken, in name order, depth first; the
// folders inside a run or sweep directory are not searched (a sweep's
// trials are in its own summary), nor hidden folders (the cache,
// unfinished runs: .tmp-*), nor symbolic links to folders that are not
// runs or sweeps. A path that is none of these, or a summary.parquet that
// is no regular file (a named pipe), is invalid input (pipeline.IsInvalid),
// named in the error.
func Find(path string) ([]string, error) { return find(path, os.ReadDir) }

// find is Find, listing folders with readDir (tests change what happens
// between a listing and the look into a folder it listed).
func find(path string, readDir func(string) ([]os.DirEntry, error)) ([]string, error) {
	if path == "" { // filepath.Clean would make it the current folder
		return nil, invalidf("an empty path: give a run, a sweep or a folder of them (. for the current folder)")
	}
	clean := filepath.Clean(path)
	info, err := os.Stat(clean)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, invalidf("%s: no such run, sweep or folder", config.Shown(path))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.Shown(path), err)
	}
	if !info.IsDir() {
		if filepath.Base(clean) != SummaryFile {
			return nil, invalidf("%s: not a run or sweep directory, a %s, or a folder of runs and sweeps", config.Shown(path), SummaryFile)
		}
		if !info.Mode().IsRegular() { // a named pipe would keep its reader waiting for a writer
			return nil, invalidf("%s: %s, not a file to read", config.Shown(path), pipeline.FileKind(info.Mode()))
		}
		if unfinished(filepath.Dir(clean)) {
			return nil, invalidf("%s: in an unfinished run (%s*), not read", config.Shown(path), pipeline.TempPrefix)
		}
		return []string{clean}, nil
	}
	if unfinished(clean) {
		return nil, invalidf("%s: an unfinished run (%s*), not read", config.Shown(path), pipeline.TempPrefix)
	}
	if hasSummary(clean) {
		return []string{filepath.Join(clean, SummaryFile)}, nil
	}
	if info, err := os.Stat(filepath.Join(clean, SummaryFile)); err == nil && !info.Mode().IsRegular() && !info.IsDir() {
		// A run directory whose summary is a named pipe: say so, rather than that it has none.
		return nil, invalidf("%s: %s, not a file to read", config.Shown(filepath.Join(path, SummaryFile)), pipeline.FileKind(info.Mode()))
	}
	var out []string
	if err := findIn(clean, &out, readDir); err != nil {
		return nil, fmt.Errorf("%s: %w", config.Shown(path), err)
	}
	if len(out) == 0 {
		return nil, invalidf("%s: not a run or sweep directory, and no finished run or sweep in it (no %s)", config.Shown(path), SummaryFile)
	}
	return out, nil
}

// findIn adds the summaries of the run and sweep directories under dir,
// which is neither, to out, listing folders with readDir; a folder in it
// that is gone by the time it is looked into is passed over.
func findIn(dir string, out *[]string, readDir func(string) ([]os.DirEntry, error)) error {
	entries, err := readDir(dir)
	if err != nil {
		return err
	}
	for _, d := range entries { // sorted by name
		if strings.HasPrefix(d.Name(), ".") { // .tmp-* (unfinished), .cache, ...
			continue
		}
		p := filepath.Join(dir, d.Name())
		switch {
		case hasSummary(p):
			*out = append(*out, filepath.Join(p, SummaryFile))
		case d.IsDir() && !IsRunOrSweep(p): // not a symbolic link: no loops
			// A folder removed since it was listed (runs cleaned up while
			// report or compare reads the results) holds nothing to find.
			if err := findIn(p, out, readDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return pipeline.Invalid(fmt.Errorf(format, args...))
}

func unfinished(dir string) bool {
	return strings.HasPrefix(filepath.Base(dir), pipeline.TempPrefix)
}

func hasSummary(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, SummaryFile))
	return err == nil && info.Mode().IsRegular()
}

// ReadSummaries reads every file with ReadComparable, a few at a time;
// the tables come back in the order of files. A file that is not a
// summary, is damaged, or has a column named like one compare adds is
// invalid input (pipeline.IsInvalid) and named.
func ReadSummaries(files []string) ([]*dataset.Table, error) {
	tables := make([]*dataset.Table, len(files))
	errs := make([]error, len(files))
	jobs := make(chan int)
	done := make(chan struct{})
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		go func() {
			for j := range jobs {
				tables[j], errs[j] = ReadComparable(files[j])
			}
			done <- struct{}{}
		}()
	}
	for j := range files {
		jobs <- j
	}
	close(jobs)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return nil, pipeline.Invalid(err) // the message names the file
		}
	}
	return tables, nil
}

// ReferencedKeys returns the stage keys listed by every manifest.json of
// a finished run or sweep trial under root, with the key of a failed
// run's failed stage (whose failure record a sweep's collection reads);
// folders whose names start
// with a dot (the cache, unfinished runs) are skipped. A folder that
// cannot be read is an error: it may hold runs. It stops with ctx's error
// once ctx is done.
func ReferencedKeys(ctx context.Context, root string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if d.IsDir() || d.Name() != ManifestFile {
			return nil
		}
		var m Manifest
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
		if m.FailedStage != nil {
			keys[m.FailedStage.Key] = true // its failure record
		}
		return nil
	})
	return keys, err
}

// Schema describes summary.parquet to a comparison: rows named by
// trial_id, with a status, an error, the metrics, and cells printed by
// FormatValue.
func Schema() comparison.Schema {
	return comparison.Schema{
		ID: ColTrialID, Status: ColStatus, OK: StatusOK, Error: ColError,
		Metrics: slices.Clone(MetricNames), Measured: IsMeasured, Format: FormatValue,
	}
}

// LoadComparison reads the summaries files[i] that each of paths stands
// for (see Find) into one comparison, its sources named by paths. A run or
// trial that several paths reach is one row, from the first of them: a
// row is told apart by the summary file that is its own, absolute with
// symbolic links resolved (a sweep's trial by its run directory's).
func LoadComparison(paths []string, files [][]string) (*comparison.Comparison, error) {
	var all []string
	for _, f := range files {
		all = append(all, f...)
	}
	tables, err := ReadSummaries(all)
	if err != nil {
		return nil, err
	}
	sources := make([]comparison.Source, len(paths))
	for i, p := range paths {
		sources[i] = comparison.Source{Name: p, Tables: tables[:len(files[i])]}
		for j, t := range sources[i].Tables {
			sources[i].Keys = append(sources[i].Keys, RowKeys(files[i][j], t))
		}
		tables = tables[len(files[i]):]
	}
	return comparison.New(Schema(), sources), nil
}

// RowKeys names each row of t, read from the summary file, by the summary
// file that is the row's own, absolute with symbolic links resolved: the
// rows of a sweep's summary by its trials' (trials/<trial_id>/summary.parquet),
// the row of a run's by file. A run or trial reached through different
// paths has one key. The rows of a summary of several rows that is not a
// sweep's are told apart by their index, after a '#'.
func RowKeys(file string, t *dataset.Table) []string {
	own := pipeline.ResolvePath(file)
	dir := filepath.Dir(own)
	sweep := isRegular(filepath.Join(dir, SweepFile))
	ids, _ := t.Column(ColTrialID)
	keys := make([]string, t.Rows)
	for r := range keys {
		id, _ := Value(ids, r).(string)
		switch {
		case sweep && id != "": // trials/ may be a link
			keys[r] = pipeline.ResolvePath(filepath.Join(dir, TrialsDir, id, SummaryFile))
		case t.Rows == 1:
			keys[r] = own
		default:
			keys[r] = own + "#" + strconv.Itoa(r)
		}
	}
	return keys
}

func isRegular(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// HalfBuilt is what a cache.Leftover under --results is: a run or sweep
// directory that a killed process left under construction.
const HalfBuilt = "half-built run directory"

// GC removes from c what no finished run or sweep under root references
// (see cache.Cache.GC and ReferencedKeys) and the run and sweep directories
// killed processes left half-built in root and its folders
// (pipeline.TempPrefix) whose content is older than keep; with dryRun it
// removes nothing and reports what it would remove. It returns c.GC's
// result, with the half-built directories among its Leftovers (named by
// their paths, as HalfBuilt), and the bytes freed (or that would be) in
// all. Reading the runs stops once ctx is done, as c.GC does once the
// context c was opened with is.
func GC(ctx context.Context, c cache.Store, root string, keep time.Duration, dryRun bool) (*cache.GCResult, int64, error) {
	// The references are read once gc holds the leases (KeepFrom): a run
	// that commits while gc lists the cache is among them.
	refsFrom := func() (func(string) bool, error) {
		refs, err := ReferencedKeys(ctx, root)
		if err != nil {
			return nil, fmt.Errorf("read the runs under %s: %w", root, err)
		}
		return func(key string) bool { return refs[key] }, nil
	}
	res, err := c.GC(cache.GCOptions{KeepFrom: refsFrom, KeepRecent: keep, DryRun: dryRun})
	if err != nil {
		return res, 0, err
	}
	freed := res.Freed
	// Run and sweep directories are built beside their place: in a
	// config's folder under root, or in root itself for a run --out
	// <results>/NAME.
	folders := []string{root}
	names, _ := os.ReadDir(root)
	for _, n := range names {
		if n.IsDir() && !strings.HasPrefix(n.Name(), ".") {
			folders = append(folders, filepath.Join(root, n.Name()))
		}
	}
	for _, folder := range folders {
		if err := ctx.Err(); err != nil {
			return res, freed, err
		}
		old, err := cache.RemoveOlder(folder, pipeline.TempPrefix, keep, dryRun)
		for _, o := range old {
			freed += o.Size
			res.Leftovers = append(res.Leftovers, cache.Leftover{Name: o.Path, What: HalfBuilt, Size: o.Size})
		}
		if err != nil {
			return res, freed, err
		}
	}
	return res, freed, nil
}

// CompareOptions are how Compare tabulates the summaries.
type CompareOptions struct {
	// Sort is the column to sort on, descending when it starts with "-";
	// "" keeps the rows in the order of the paths.
	Sort string
	// GroupBy gives one row per distinct value of its keys, with the mean
	// ± std of each metric; none gives one row per run or trial.
	GroupBy []string
	// Baseline is a path as Find takes it whose ok rows' mean of each
	// metric the others are compared with; it is compared too, first, when
	// it is not one of the paths. "" for none.
	Baseline string
	Format   report.Format
}

// Compare reads the summaries that paths stand for (Find) and returns them
// as one table (see stages/comparison), as `nnpipe compare` prints it: each
// run or trial once (see LoadComparison), the baseline's first when it is
// added.
// Errors name the options as compare's flags do; those of the user's
// input are invalid input.
func Compare(paths []string, opt CompareOptions) (report.Table, error) {
	files := make([][]string, len(paths))
	for i, p := range paths {
		var err error
		if files[i], err = Find(p); err != nil {
			return report.Table{}, err
		}
	}
	base := -1
	if opt.Baseline != "" {
		bf, err := Find(opt.Baseline)
		if err != nil {
			return report.Table{}, fmt.Errorf("--baseline: %w", err)
		}
		base = slices.IndexFunc(files, func(fs []string) bool { return slices.Equal(fs, bf) })
		if base < 0 {
			paths = append([]string{opt.Baseline}, paths...)
			files = append([][]string{bf}, files...)
			base = 0
		}
	}
	c, err := LoadComparison(paths, files)
	if err != nil {
		return report.Table{}, err
	}
	var baseline []float64
	if base >= 0 {
		if baseline = c.BaselineMeans(base); baseline == nil {
			return report.Table{}, invalidf("--baseline %s: no row with status ok to compare against", opt.Baseline)
		}
		if !slices.ContainsFunc(baseline, func(x float64) bool { return !math.IsNaN(x) }) {
			return report.Table{}, invalidf("--baseline %s: no metric to compare against (its runs evaluated nothing)", opt.Baseline)
		}
	}
	var v *comparison.View
	if len(opt.GroupBy) > 0 {
		v, err = c.Grouped(opt.GroupBy)
	} else {
		v, err = c.Rows(strings.TrimPrefix(opt.Sort, "-"))
	}
	if err == nil && opt.Sort != "" {
		err = v.Sort(opt.Sort)
	}
	if err != nil {
		return report.Table{}, err
	}
	return v.Table(opt.Format, baseline), nil
}

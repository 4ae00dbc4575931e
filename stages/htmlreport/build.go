package htmlreport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// Options are what a report shows besides the runs.
type Options struct {
	// Version is nnpipe's version, named at the foot of the page.
	Version string
	// Title is the page's title; "" names the sources, a source that is a
	// current or parent folder (".", "..") by the folder's own name, so
	// that `nnpipe report .` in a run directory is titled by its run id.
	Title string
	// Base, when set, is the folder the paths of summaries and run
	// directories are shown relative to.
	Base string
}

// Source is the summaries one path a user named stands for (see
// results.Find), and the name it is shown by.
type Source struct {
	Name  string
	Files []string
}

// Skipped is a summary.parquet a report leaves out, and why.
type Skipped struct{ File, Reason string }

// Report is a page ready to be written.
type Report struct {
	// Rows is the number of runs and sweep trials it shows.
	Rows int
	// Skipped are the summaries it could not read.
	Skipped []Skipped

	title, version string
	data, runs     []byte // the two JSON blocks, escaped for HTML
}

// Done is the line `nnpipe report` ends with, having written the page to
// out: the file, named as messages name a path (quoted when it holds a line
// break or an escape sequence), and how many runs it shows.
func (r *Report) Done(out string) string {
	return config.Shown(out) + ": " + report.Plural(r.Rows, "run", "runs")
}

// The roles of the table's columns, as the page knows them.
const (
	roleID     = "id"
	roleSource = "source"
	roleStatus = "status"
	roleParam  = "param"
	roleMetric = "metric"
	roleTime   = "time"
	roleError  = "error"
	roleKey    = "key"
)

// KeyColumn is the column of the table and its CSV export that holds the
// cache key of a run's train stage (read from its manifest.json).
const KeyColumn = "train_key"

// keyKind is the kind of the stage whose cache key KeyColumn shows.
const keyKind = "train"

// column is a column of the page's table.
type column struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Numeric bool   `json:"numeric,omitempty"`
	Varies  bool   `json:"varies,omitempty"`
	Better  string `json:"better,omitempty"` // for a metric: "max" or "min"
	Shown   bool   `json:"shown,omitempty"`  // shown unless the page shows every column
}

// origin is where a row of the comparison came from.
type origin struct {
	file string // its summary.parquet
	rows int    // how many rows that summary has
	id   string // its trial id
}

// Build reads the summaries of sources and the run directories of their
// rows into a report. A summary that cannot be read (damaged, not a
// summary) is skipped and listed; with none read at all, the error is
// invalid input. It stops with ctx's error once ctx is done.
func Build(ctx context.Context, sources []Source, opt Options) (*Report, error) {
	return build(ctx, sources, opt, nil)
}

// build is Build, with the manifests of run directories (by path) that are
// not on disk yet.
func build(ctx context.Context, sources []Source, opt Options, manifests map[string]*results.Manifest) (*Report, error) {
	var files []string
	for _, s := range sources {
		files = append(files, s.Files...)
	}
	tables := make([]*dataset.Table, len(files))
	errs := make([]error, len(files))
	pipeline.ForEach(ctx, len(files), runtime.GOMAXPROCS(0), func(i int) {
		tables[i], errs[i] = results.ReadComparable(files[i])
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{version: opt.Version, title: opt.Title}
	cs := make([]comparison.Source, len(sources))
	var origins []origin
	// A run reached through two paths (a sweep and its trials/, a link)
	// is one row, as compare shows it: its first path's.
	seen := map[string]bool{}
	k := 0
	for i, s := range sources {
		cs[i].Name = config.Shown(s.Name) // the source column's text
		cs[i].Keys = [][]string{}
		for _, f := range s.Files {
			if errs[k] != nil {
				rep.Skipped = append(rep.Skipped, Skipped{File: shown(opt.Base, f), Reason: reason(errs[k], opt.Base, f)})
			} else {
				t := tables[k]
				keys := results.RowKeys(f, t)
				cs[i].Tables = append(cs[i].Tables, t)
				cs[i].Keys = append(cs[i].Keys, keys)
				ids, _ := t.Column(results.ColTrialID)
				for r := range t.Rows {
					if seen[keys[r]] {
						continue
					}
					seen[keys[r]] = true
					id, _ := results.Value(ids, r).(string)
					origins = append(origins, origin{file: f, rows: t.Rows, id: id})
				}
			}
			k++
		}
	}
	c := comparison.New(results.Schema(), cs)
	if c.Len() == 0 {
		why := "the summaries have no rows"
		if len(rep.Skipped) > 0 {
			why = fmt.Sprintf("every summary was skipped (%s: %s)", rep.Skipped[0].File, rep.Skipped[0].Reason)
		}
		return nil, pipeline.Invalid(fmt.Errorf("no run to report: %s", why))
	}
	rep.Rows = c.Len()
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name
	}
	if rep.title == "" {
		title := make([]string, len(names))
		for i, n := range names {
			title[i] = config.Shown(titleName(n))
		}
		rep.title = strings.Join(title, ", ")
	}
	runs := readRuns(ctx, origins, opt.Base, manifests)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	page := newPage(c, rep, runs, names)
	if err := page.fill(ctx, runs); err != nil {
		return nil, err
	}
	var err error
	if rep.data, err = marshalHTML(page.data); err != nil {
		return nil, err
	}
	rep.runs, err = page.runs.encode()
	return rep, err
}

// titleName is the name of the source path in the page's title: path as
// given, but a path that ends in "." or ".." by the name of the folder it
// is, its links resolved (a path whose absolute form cannot be had stays
// as given).
func titleName(path string) string {
	if b := filepath.Base(path); b != "." && b != ".." {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real // the folder's own name, not the link's the shell went through
	}
	return filepath.Base(abs)
}

// shown is path as the page shows it: relative to base when set, and as
// messages name a path (config.Shown): quoted, with its bytes escaped, when
// it is not UTF-8 or holds a line break, which the page could not show.
func shown(base, path string) string {
	if base != "" {
		if rel, err := filepath.Rel(base, path); err == nil {
			path = filepath.ToSlash(rel)
		}
	}
	return config.Shown(path)
}

// reason is err's message on one line, with the path of file shown as the
// page shows it.
func reason(err error, base, file string) string {
	msg := strings.ReplaceAll(err.Error(), file, shown(base, file))
	if base != "" {
		msg = strings.ReplaceAll(msg, base+string(filepath.Separator), "")
	}
	return strings.NewReplacer("\r", "", "\n", "; ").Replace(msg)
}

// runDir returns the run directory of a row: a sweep's trial is in the
// trials/ folder beside the summary, and a one-row summary (a run's, a
// trial's) is in its own. A trial id that is no plain folder name has
// none: the page reads nothing outside the folders it was given.
func runDir(o origin) (string, bool) {
	dir := filepath.Dir(o.file)
	if plainName(o.id) {
		trial := filepath.Join(dir, results.TrialsDir, o.id)
		if st, err := os.Lstat(trial); err == nil && st.IsDir() { // a link could lead anywhere
			return trial, true
		}
	}
	return dir, o.rows == 1
}

// plainName reports whether s names a folder inside another: not empty,
// ".", "..", nor holding a separator or NUL.
func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00") && len(s) <= 255
}

// better is the direction in which a metric improves: accuracies up,
// errors and cross-entropies down.
func better(metric string) string {
	if strings.HasSuffix(metric, "accuracy") {
		return "max"
	}
	return "min"
}

// finite returns the number of a cell, or NaN when it has none.
func finite(x comparison.Cell) float64 {
	if !x.Set || !x.Num || math.IsInf(x.F, 0) {
		return math.NaN()
	}
	return x.F
}

// errNotRegular is the note for a path that is there but no regular file.
var errNotRegular = errors.New("not a regular file")

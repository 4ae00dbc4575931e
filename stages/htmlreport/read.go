package htmlreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/results"
)

// The files of a run directory the drill-down shows, besides those of
// stages/results.
const (
	HistoryFile  = "history.parquet"
	BoundaryFile = "plots/boundary.png"
)

// Limits on what is read of a run directory, against damaged or hostile
// files: bigger files are named in the drill-down and left out.
const (
	maxConfig  = 1 << 20   // config.yaml (a config is at most 1 MiB)
	maxJSON    = 16 << 20  // manifest.json, metrics.json
	maxHistory = 256 << 20 // history.parquet
	// maxHistoryValues bounds the values of a history the page decodes to draw it (rows ×
	// columns drawn, 256 MiB as float64): a small file can hold many more, compressed. nnpipe
	// records at most a million steps.
	maxHistoryValues = 32 << 20
	maxImage         = 4 << 20 // boundary.png
	maxClasses       = 50      // confusion matrices are shown up to this many classes
)

// run is what the drill-down of one row shows, as read from its run
// directory; nil for a row without one.
type run struct {
	dir       string // as shown
	notes     []string
	config    []string // its lines; nil when not read
	classes   []string
	confusion map[string][][]int // "train", "test"
	stages    []results.ManifestStage
	key       string // the cache key of the train stage
	history   string // history.parquet, when there
	boundary  string // boundary.png, when there
	imageSize int64
}

// note records that name could not be shown, and why.
func (r *run) note(name string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.notes = append(r.notes, name+": none")
	default:
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		r.notes = append(r.notes, name+": "+msg)
	}
}

// readRuns reads the run directory of every row, a few at a time.
func readRuns(ctx context.Context, origins []origin, base string, manifests map[string]*results.Manifest) []*run {
	out := make([]*run, len(origins))
	pipeline.ForEach(ctx, len(origins), runtime.GOMAXPROCS(0), func(i int) {
		if dir, ok := runDir(origins[i]); ok {
			out[i] = readRun(dir, shown(base, dir), manifests[dir])
		}
	})
	return out
}

// readRun reads what the drill-down shows of the run directory dir; m is
// its manifest when it is not on disk yet.
func readRun(dir, shownDir string, m *results.Manifest) *run {
	r := &run{dir: shownDir}
	if b, err := readCapped(filepath.Join(dir, results.ConfigFile), maxConfig); err != nil {
		r.note(results.ConfigFile, err)
	} else {
		r.config = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	if m == nil {
		m = new(results.Manifest)
		if err := readJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
			r.note(results.ManifestFile, err)
			m = nil
		}
	}
	if m != nil {
		r.stages = m.Stages
		for _, s := range m.Stages {
			if s.Kind == keyKind {
				r.key = s.Key
				break
			}
		}
	}
	r.readMetrics(filepath.Join(dir, results.MetricsFile))
	if size, err := regularSize(filepath.Join(dir, HistoryFile), maxHistory); err != nil {
		r.note(HistoryFile, err)
	} else if size >= 0 {
		r.history = filepath.Join(dir, HistoryFile)
	}
	if size, err := regularSizeIn(dir, BoundaryFile, maxImage); err == nil {
		r.boundary, r.imageSize = filepath.Join(dir, filepath.FromSlash(BoundaryFile)), size
	} else if !errors.Is(err, fs.ErrNotExist) {
		r.note(BoundaryFile, err) // a run without 2-D data has none: no note
	}
	return r
}

// regularSizeIn is regularSize of the file rel (slash-separated) in the
// folder dir, refusing it when a folder on the way is a symbolic link (or
// no folder): plots/ linked elsewhere would lead the page to a file
// outside the run directory.
func regularSizeIn(dir, rel string, limit int64) (int64, error) {
	parts := strings.Split(rel, "/")
	for i := range len(parts) - 1 {
		sub := filepath.Join(dir, filepath.Join(parts[:i+1]...))
		st, err := os.Lstat(sub)
		switch {
		case err != nil:
			return -1, err
		case !st.IsDir():
			return -1, fmt.Errorf("%s is %s, not a folder", strings.Join(parts[:i+1], "/"), pipeline.FileKind(st.Mode()))
		}
	}
	return regularSize(filepath.Join(dir, filepath.FromSlash(rel)), limit)
}

// readMetrics reads the class names and confusion matrices of
// metrics.json, when they are well formed and not too many.
func (r *run) readMetrics(path string) {
	var m struct {
		Train   struct{ Confusion [][]int } `json:"train"`
		Test    struct{ Confusion [][]int } `json:"test"`
		Classes []string                    `json:"classes"`
	}
	if err := readJSON(path, &m); err != nil {
		r.note(results.MetricsFile, err)
		return
	}
	k := len(m.Classes)
	if k > maxClasses {
		r.notes = append(r.notes, fmt.Sprintf("%s: %d classes, more than %d: the confusion matrices are left out", results.MetricsFile, k, maxClasses))
		return
	}
	r.classes = m.Classes
	r.confusion = map[string][][]int{}
	for _, p := range []struct {
		part string
		c    [][]int
	}{{"train", m.Train.Confusion}, {"test", m.Test.Confusion}} {
		part, c := p.part, p.c
		if !square(c, k) {
			r.notes = append(r.notes, fmt.Sprintf("%s: the %s confusion matrix is not %d×%d", results.MetricsFile, part, k, k))
			continue
		}
		r.confusion[part] = c
	}
}

func square(c [][]int, k int) bool {
	if len(c) != k || k == 0 {
		return false
	}
	for _, row := range c {
		if len(row) != k {
			return false
		}
	}
	return true
}

// regularSize returns the size of the regular file at path, or why it is
// not read: missing, not a regular file (a symbolic link is not followed),
// or larger than limit.
func regularSize(path string, limit int64) (int64, error) {
	st, err := os.Lstat(path)
	switch {
	case err != nil:
		return -1, err
	case !st.Mode().IsRegular():
		return -1, errNotRegular
	case st.Size() > limit:
		return -1, fmt.Errorf("%d bytes, more than %d", st.Size(), limit)
	}
	return st.Size(), nil
}

// readCapped reads the regular file at path, refusing one over limit bytes. Like
// regularSize it refuses a symbolic link, which a results folder from elsewhere could point
// at any file of the reader's (the page would carry it), and anything else that is no
// regular file, such as a named pipe, whose opening would wait for a writer.
func readCapped(path string, limit int64) ([]byte, error) {
	if st, err := os.Lstat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("more than %d bytes", limit)
	}
	return b, err
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	b, err := readCapped(path, maxJSON)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// CheckRun returns why dir is not a complete run directory that finished
// ok, or nil: CheckRunFiles, with the status ok.
func CheckRun(dir string) error {
	return checkRun(dir, true)
}

// CheckRunFiles returns why dir is not a complete run directory, whatever
// its status, or nil: its manifest must parse, list config.yaml,
// summary.md and summary.parquet, and list every other file of the
// directory, no more, each with its digest. A failed or diverged run is
// complete too: what it did not make is not there, nor listed.
func CheckRunFiles(dir string) error {
	return checkRun(dir, false)
}

func checkRun(dir string, ok bool) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return fmt.Errorf("no readable manifest.json: %v", err)
	}
	if ok && m.Status != StatusOK {
		return fmt.Errorf("manifest.json has status %q", m.Status)
	}
	for _, name := range []string{ConfigFile, SummaryMD, SummaryFile} {
		if _, ok := m.Files[name]; !ok {
			return fmt.Errorf("manifest.json does not list %s", name)
		}
	}
	var have []string
	if err := WalkFiles(dir, func(rel string) error {
		if rel != ManifestFile {
			have = append(have, rel)
		}
		return nil
	}); err != nil {
		return err
	}
	want := make([]string, 0, len(m.Files))
	for name := range m.Files {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(have, want) {
		return fmt.Errorf("holds files %v, manifest.json lists %v", have, want)
	}
	for _, name := range want {
		_, sum, err := cache.DigestFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		if sum != m.Files[name] {
			return fmt.Errorf("%s does not match its digest in manifest.json", name)
		}
	}
	return nil
}

// CheckSweep returns why dir is not a complete sweep directory, or nil:
// its sweep.json must parse, every finished trial it lists must be a
// complete run directory that finished ok (CheckRun) and every failed one
// a complete run directory (CheckRunFiles), trials/ must hold no other
// trial, and with any trial listed, summary.parquet must read.
func CheckSweep(dir string) error {
	m, err := ReadSweepManifest(dir)
	if err != nil {
		return fmt.Errorf("no readable sweep.json: %v", err)
	}
	listed := map[string]bool{}
	for _, tr := range m.Trials {
		listed[tr.TrialID] = true
		if err := checkRun(filepath.Join(dir, TrialsDir, tr.TrialID), tr.Status == StatusOK); err != nil {
			return fmt.Errorf("trial %s (%s): %v", tr.TrialID, tr.Status, err)
		}
	}
	trials, _ := os.ReadDir(filepath.Join(dir, TrialsDir))
	for _, e := range trials {
		if !listed[e.Name()] {
			return fmt.Errorf("trials/%s is not listed in sweep.json", e.Name())
		}
	}
	if len(m.Trials) > 0 {
		if _, err := dataset.ReadTable(filepath.Join(dir, SummaryFile)); err != nil {
			return fmt.Errorf("summary.parquet: %v", err)
		}
	}
	return nil
}

// IsRunOrSweep reports whether dir is a finished run or sweep directory:
// it holds a manifest.json or a sweep.json, which are written last.
func IsRunOrSweep(dir string) bool {
	for _, marker := range []string{ManifestFile, SweepFile} {
		if fi, err := os.Stat(filepath.Join(dir, marker)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// EnclosingRun returns the nearest folder above path that is a finished
// run or sweep directory, or "".
func EnclosingRun(path string) string {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if IsRunOrSweep(dir) {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// OutsideRuns refuses a file to be written inside a finished run or sweep directory, which
// holds only what nnpipe wrote there: a file added would no longer match its manifest, so the
// directory would no longer count as finished (nor keep its cache entries from cache gc). The
// error is invalid input.
//
// It refuses likewise a file inside a cache folder: it would replace the file of an entry, or
// make the folder one that the cache commands and runs refuse as holding what nnpipe did not
// make there.
func OutsideRuns(out string) error {
	resolved := pipeline.ResolvePath(out)
	if run := EnclosingRun(resolved); run != "" {
		return invalidf("%s is inside the run or sweep directory %s, which holds only what nnpipe wrote; write it elsewhere", out, run)
	}
	if c := cache.Enclosing(resolved); c != "" {
		return invalidf("%s is inside the cache %s, which holds only what nnpipe stores there; write it elsewhere", out, c)
	}
	return nil
}

// WalkFiles calls fn with the slash-separated path of every file under
// root, in sorted order.
func WalkFiles(root string, fn func(rel string) error) error {
	var names []string
	if err := walkDir(root, "", &names); err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

func walkDir(root, rel string, names *[]string) error {
	entries, err := os.ReadDir(root + "/" + rel)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := e.Name()
		if rel != "" {
			p = rel + "/" + p
		}
		if e.IsDir() {
			if err := walkDir(root, p, names); err != nil {
				return err
			}
			continue
		}
		*names = append(*names, p)
	}
	return nil
}

// CheckSweepPlace refuses path as the place of a sweep directory that a
// sweep or a collection replaces whole, unless what is there is nothing, an
// empty folder or a sweep directory: a folder holding sweep.json or
// trials/ (a sweep.json torn or removed by hand still leaves its trials),
// and nothing a sweep directory does not hold — its tables, report, plot
// and trial folders, each holding only the files its manifest.json lists.
// Anything else there — a file, a named pipe, a folder of someone's files,
// a file added to a sweep directory or to one of its trials — is not
// nnpipe's to delete; the error, invalid input, names it.
func CheckSweepPlace(path string) error { return checkSweepPlace(path, path) }

// checkSweepPlace is CheckSweepPlace of the folder at path, named shown in
// messages: the sweep's place, when path is the folder a commit displaced
// from it.
func checkSweepPlace(path, shown string) error {
	refuse := func(why string) error {
		return invalidf("%s %s; nnpipe replaces only a sweep directory it wrote: move it away, or give another --results or --out", config.Shown(shown), why)
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		// A file on the path (--results, or its folder of the config's
		// name) is the user's to move: named as such, not as a failed stat.
		if werr := pipeline.CheckWritable(filepath.Dir(path)); werr != nil {
			return werr
		}
		return err
	case !fi.IsDir():
		return refuse("exists and is not a sweep directory but " + pipeline.FileKind(fi.Mode()))
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	marked := false
	for _, e := range entries {
		name, bad, why := e.Name(), "", ""
		switch name {
		case SweepFile:
			marked = marked || e.Type().IsRegular()
			fallthrough
		case SummaryFile, SummaryMD, ReportFile:
			if !e.Type().IsRegular() {
				bad = name
			}
		case filepath.Dir(SweepPlot):
			bad = strangerIn(path, name, e, func(e fs.DirEntry) bool {
				return e.Name() == filepath.Base(SweepPlot) && e.Type().IsRegular()
			})
		case TrialsDir:
			marked = marked || e.IsDir()
			bad = strangerIn(path, name, e, isTrialFolder)
			if bad == "" {
				bad, why = strangerInTrials(path)
			}
		default:
			bad = name
		}
		switch {
		case why != "":
			return refuse(fmt.Sprintf("holds %s, %s", strconv.Quote(bad), why))
		case bad != "":
			return refuse(fmt.Sprintf("holds %s, which a sweep directory does not", strconv.Quote(bad)))
		}
	}
	if !marked {
		return refuse(fmt.Sprintf("exists and is not a sweep directory (it holds neither %s nor %s/)", SweepFile, TrialsDir))
	}
	return nil
}

// strangerIn returns the name, relative to the sweep directory dir, of
// what its folder e (named name) holds that ok refuses, or of e itself
// when it is no folder; "" when there is none.
func strangerIn(dir, name string, e fs.DirEntry, ok func(fs.DirEntry) bool) string {
	if !e.IsDir() {
		return name
	}
	entries, err := os.ReadDir(filepath.Join(dir, name))
	if err != nil {
		return name
	}
	for _, e := range entries {
		if !ok(e) {
			return name + "/" + e.Name()
		}
	}
	return ""
}

// strangerInTrials returns the name, relative to the sweep directory dir,
// of the first file or folder inside one of its trial folders that the
// trial's manifest.json does not list: a trial folder is a run directory,
// which holds only the files its manifest lists. A trial folder whose
// manifest does not read is returned with why that is so; "" when there
// is nothing of the kind.
func strangerInTrials(dir string) (bad, why string) {
	entries, err := os.ReadDir(filepath.Join(dir, TrialsDir))
	if err != nil {
		return TrialsDir, "which does not read: " + err.Error()
	}
	for _, e := range entries {
		rel := TrialsDir + "/" + e.Name()
		m, err := ReadManifest(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return rel, "whose " + ManifestFile + " does not read (" + err.Error() + "), so nnpipe cannot tell its files from others"
		}
		if bad := unlisted(dir, rel, "", m.Files); bad != "" {
			return bad, ""
		}
	}
	return "", ""
}

// unlisted returns the name, relative to dir, of the first file or folder
// under the run directory run (relative to dir) at sub (relative to run)
// that is neither its manifest nor a regular file that files lists, nor a
// folder holding one; "" when there is none.
func unlisted(dir, run, sub string, files map[string]string) string {
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(run), filepath.FromSlash(sub)))
	if err != nil {
		return strings.TrimSuffix(run+"/"+sub, "/")
	}
	for _, e := range entries {
		name := e.Name()
		if sub != "" {
			name = sub + "/" + name
		}
		switch {
		case e.IsDir():
			holds := false
			for f := range files {
				holds = holds || strings.HasPrefix(f, name+"/")
			}
			if !holds {
				return run + "/" + name
			}
			if bad := unlisted(dir, run, name, files); bad != "" {
				return bad
			}
		case !e.Type().IsRegular():
			return run + "/" + name
		case name == ManifestFile:
		default:
			if _, ok := files[name]; !ok {
				return run + "/" + name
			}
		}
	}
	return ""
}

// isTrialFolder reports whether e is a trial's folder of a sweep
// directory's trials/: a folder named by a trial id.
func isTrialFolder(e fs.DirEntry) bool {
	name := e.Name()
	if !e.IsDir() || len(name) != pipeline.TrialIDLen {
		return false
	}
	for _, r := range name {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// File is the name of a run directory's model.
const File = "model.json"

// Open reads the model a user points at: a run directory's model.json, or a model file
// itself. It returns the model and the hex SHA-256 of the very bytes it parsed. Every problem
// is the user's (a pipeline.Invalid error of one line naming the path): a path that does not
// exist or is neither a folder nor a regular file, a folder without a model — a run that
// diverged or failed says so, with its error; a sweep, that its runs are in trials/ —, a run
// directory of a config that trains more than one model (its model.json is the first stage's,
// while its predictions and metrics may be a later one's: the user names the file), and a
// model file that Parse refuses.
func Open(path string) (*Model, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", pipeline.Invalid(unwrapPath(path, err))
	}
	file := path
	if fi.IsDir() {
		file = filepath.Join(path, File)
		if fi, err = os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return nil, "", pipeline.Invalid(noModel(path))
		} else if err != nil {
			return nil, "", pipeline.Invalid(unwrapPath(file, err))
		}
		if err := oneModel(path); err != nil {
			return nil, "", pipeline.Invalid(err)
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, "", pipeline.Invalid(fmt.Errorf("%s: not a regular file", config.Shown(file)))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, "", pipeline.Invalid(unwrapPath(file, err))
	}
	sum := sha256.Sum256(b)
	m, err := Parse(b)
	if err != nil {
		return nil, "", pipeline.Invalid(fmt.Errorf("%s: %w", config.Shown(file), err))
	}
	return m, hex.EncodeToString(sum[:]), nil
}

// FileOf returns the model file Open reads for path: the folder's model.json when path is a
// folder, else path itself.
func FileOf(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return filepath.Join(path, File)
	}
	return path
}

// oneModel refuses a run directory that holds more than one model: a config with two train
// stages publishes the first's model as model.json and a later one's as <stage id>-model.json,
// and nothing says which of them the user means (the run's predictions and metrics can be
// either's).
func oneModel(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return unwrapPath(dir, err)
	}
	var others []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "-"+File) && e.Type().IsRegular() {
			others = append(others, e.Name())
		}
	}
	if len(others) == 0 {
		return nil
	}
	return fmt.Errorf("%s holds %d models, %s and %s (its config trains more than one): give the model file to use, such as %s",
		config.Shown(dir), len(others)+1, File, strings.Join(others, ", "), config.Shown(filepath.Join(dir, File)))
}

// noModel says why the folder dir holds no model: what its manifest.json (stages/results'
// format: a run's status and error) or sweep.json tell of it.
func noModel(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "sweep.json")); serr == nil {
			return fmt.Errorf("%s is a sweep; give one of its runs (in its trials/ folder)", config.Shown(dir))
		}
		return fmt.Errorf("%s has no %s: give a run directory or a model file", config.Shown(dir), File)
	}
	var run struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if json.Unmarshal(b, &run) != nil || run.Status == "" {
		return fmt.Errorf("%s has no %s, and its manifest.json cannot be read", config.Shown(dir), File)
	}
	if run.Status != "ok" {
		why := strings.Join(strings.Fields(run.Error), " ")
		return fmt.Errorf("%s: the run %s (%s) and has no model", config.Shown(dir), run.Status, cutText(why, 200))
	}
	return fmt.Errorf("%s: the run has no %s (its config trains no model)", config.Shown(dir), File)
}

// unwrapPath makes err name path once: an *fs.PathError already names it.
func unwrapPath(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", config.Shown(path), pe.Err)
	}
	return fmt.Errorf("%s: %w", config.Shown(path), err)
}

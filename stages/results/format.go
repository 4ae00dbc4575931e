package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/evaluate"
)

// Format is the version of the layout of manifest.json and sweep.json. Version 2: a run's
// model.json is self-sufficient and names its run.
const Format = 2

// The files of run and sweep directories.
const (
	ConfigFile   = "config.yaml"
	ManifestFile = "manifest.json"
	MetricsFile  = "metrics.json"
	SummaryFile  = "summary.parquet"
	SummaryMD    = "summary.md"
	SweepFile    = "sweep.json"
	TrialsDir    = "trials"
	SweepPlot    = "plots/sweep.png"
	ReportFile   = "report.html"
)

// ReportFunc returns the report.html of the run or sweep directory being
// written in dir, which will be named name. m is a run's manifest before
// its files are listed; nil when the directory's manifest.json (a failed
// run's) or sweep.json is already written. It must depend on nothing but
// the directory's files, name and m, so that the same results give the
// same bytes.
type ReportFunc func(dir, name string, m *Manifest) ([]byte, error)

// The statuses of a run or trial, in manifests and summaries.
const (
	StatusOK       = "ok"
	StatusFailed   = pipeline.StatusFailed
	StatusDiverged = pipeline.StatusDiverged
	// StatusPending is a trial of sweep.json's pending_trials: neither
	// finished nor failed when the sweep was collected.
	StatusPending = "pending"
)

// Manifest is manifest.json.
type Manifest struct {
	Format       int             `json:"format"`
	Nnpipe       string          `json:"nnpipe"`
	RunID        string          `json:"run_id"`
	Name         string          `json:"name"`
	ConfigSHA256 string          `json:"config_sha256"`
	Created      string          `json:"created"`
	Status       string          `json:"status"`
	Error        string          `json:"error,omitempty"`
	Seconds      float64         `json:"seconds"`
	Stages       []ManifestStage `json:"stages"`
	// FailedStage is the stage that failed, in a failed or diverged run:
	// its key names the failure record gc keeps for the run.
	FailedStage *FailedStage      `json:"failed_stage,omitempty"`
	Files       map[string]string `json:"files"` // run-directory file -> sha256
}

// FailedStage is the stage of a run that failed: its id, kind and cache key.
type FailedStage struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// ManifestStage is one stage of a run, in its manifest.
type ManifestStage struct {
	ID             string            `json:"id"`
	Kind           string            `json:"kind"`
	Key            string            `json:"key"`
	Cached         bool              `json:"cached"`
	Seconds        float64           `json:"seconds"`
	ComputeSeconds float64           `json:"compute_seconds"`
	Outputs        map[string]string `json:"outputs"` // slot -> digest
}

// SweepManifest is sweep.json.
type SweepManifest struct {
	Format  int           `json:"format"`
	Nnpipe  string        `json:"nnpipe"`
	SweepID string        `json:"sweep_id"`
	Name    string        `json:"name"`
	Created string        `json:"created"`
	Axes    []SweepAxis   `json:"axes"`
	Trials  []TrialRecord `json:"trials"` // the finished and failed trials; never null
	Pending int           `json:"pending"`
	// PendingTrials are the trials neither finished nor failed, in grid
	// order, with status pending; never null.
	PendingTrials []TrialRecord `json:"pending_trials"`
}

// SweepAxis is one swept key and its values, as written.
type SweepAxis struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// TrialRecord is a trial of sweep.json: its id, swept values and outcome.
type TrialRecord struct {
	TrialID string            `json:"trial_id"`
	Values  map[string]string `json:"values"`
	Status  string            `json:"status"`
	Error   string            `json:"error,omitempty"`
}

// NewTrialRecord returns the record of t with status and error.
func NewTrialRecord(t *pipeline.Trial, status, err string) TrialRecord {
	r := TrialRecord{TrialID: t.ID, Values: make(map[string]string, len(t.Values)), Status: status, Error: err}
	for _, v := range t.Values {
		r.Values[v.Key] = v.Value
	}
	return r
}

// ReadManifest reads the manifest.json of the run directory dir.
func ReadManifest(dir string) (*Manifest, error) {
	var m Manifest
	return &m, readJSON(filepath.Join(dir, ManifestFile), &m)
}

// ReadMetrics reads the metrics.json of the run directory dir.
func ReadMetrics(dir string) (*evaluate.Metrics, error) {
	return evaluate.Read(filepath.Join(dir, MetricsFile))
}

// ReadSweepManifest reads the sweep.json of the sweep directory dir.
func ReadSweepManifest(dir string) (*SweepManifest, error) {
	var m SweepManifest
	return &m, readJSON(filepath.Join(dir, SweepFile), &m)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// marshalFile is the bytes of a JSON file of a run or sweep directory.
func marshalFile(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

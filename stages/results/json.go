package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/report"
)

// RunJSON is what `run --json` prints of a run: its directory and id, its
// status (ok, or failed or diverged with the error; the error null when
// ok), its metrics (metrics.json; null without) and what each stage did.
type RunJSON struct {
	RunDir  string          `json:"run_dir"`
	RunID   string          `json:"run_id"`
	Status  string          `json:"status"`
	Error   ErrorJSON       `json:"error"`
	Metrics json.RawMessage `json:"metrics"`
	Stages  []StageJSON     `json:"stages"`
}

// ErrorJSON is the error of a run or trial in the JSON outputs: a string,
// or null when there is none. The key is always there, so that a consumer
// can read it without first asking whether it is.
type ErrorJSON string

// MarshalJSON encodes e as a JSON string, or as null when e is empty.
func (e ErrorJSON) MarshalJSON() ([]byte, error) {
	if e == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(e))
}

// StageJSON is what a stage of a run did: its key, whether it was a cache
// hit, and how long it took in this run.
type StageJSON struct {
	ID      string  `json:"id"`
	Kind    string  `json:"kind"`
	Key     string  `json:"key"`
	Cached  bool    `json:"cached"`
	Seconds float64 `json:"seconds"`
}

// JSON returns what `run --json` prints of r.
func (r *Run) JSON() RunJSON {
	out := RunJSON{RunDir: r.Dir, RunID: r.ID, Status: StatusOK, Metrics: r.MetricsJSON, Stages: StagesJSON(r.Results)}
	if r.Summary != nil && r.Summary.Status != "" {
		out.Status, out.Error = r.Summary.Status, ErrorJSON(r.Summary.Error)
	}
	if out.Metrics == nil {
		out.Metrics = json.RawMessage("null")
	}
	return out
}

// StagesJSON describes stage results as the JSON outputs list them.
func StagesJSON(results []*pipeline.StageResult) []StageJSON {
	out := make([]StageJSON, len(results))
	for i, r := range results {
		out[i] = StageJSON{ID: r.ID, Kind: r.Kind, Key: r.Key, Cached: r.Cached, Seconds: r.Seconds}
	}
	return out
}

// SweepJSON is what `sweep --json` prints of a collected sweep: its
// directory and id, the trials not finished, and each finished or failed
// trial as `run --json` prints a run, with its swept values and status.
type SweepJSON struct {
	SweepDir string           `json:"sweep_dir"`
	SweepID  string           `json:"sweep_id"`
	Pending  int              `json:"pending"`
	Trials   []SweepTrialJSON `json:"trials"` // never null
	// PendingTrials are the trials not finished, as sweep.json lists them.
	PendingTrials []TrialRecord `json:"pending_trials"` // never null
}

// TrialJSON is a trial as the JSON outputs print it: its TrialRecord, but
// with the error null, not left out, when the trial is ok.
type TrialJSON struct {
	TrialRecord
	Error ErrorJSON `json:"error"` // in place of TrialRecord's
}

// newTrialJSON returns the trial t with status and error as the JSON
// outputs print it.
func newTrialJSON(t *pipeline.Trial, status, err string) TrialJSON {
	r := NewTrialRecord(t, status, err)
	return TrialJSON{TrialRecord: r, Error: ErrorJSON(r.Error)}
}

// SweepTrialJSON is a trial of SweepJSON.
type SweepTrialJSON struct {
	TrialJSON
	RunDir  string          `json:"run_dir"`
	Metrics json.RawMessage `json:"metrics"`
	Stages  []StageJSON     `json:"stages"`
}

// JSON returns what `sweep --json` prints of sw, once committed and
// rebased: it reads the metrics of the trials that finished ok.
func (sw *Sweep) JSON() (SweepJSON, error) {
	out := SweepJSON{SweepDir: sw.Dir, SweepID: sw.ID, Pending: sw.Pending, Trials: []SweepTrialJSON{}, PendingTrials: []TrialRecord{}}
	for _, t := range sw.PendingTrials {
		out.PendingTrials = append(out.PendingTrials, NewTrialRecord(t, StatusPending, ""))
	}
	for i, row := range sw.Rows {
		t := SweepTrialJSON{TrialJSON: newTrialJSON(sw.Trials[i], row.Status, row.Error),
			RunDir: sw.RunDirs[i], Stages: StagesJSON(sw.Results[i]), Metrics: json.RawMessage("null")}
		if row.Status == StatusOK {
			if b, err := os.ReadFile(filepath.Join(sw.RunDirs[i], MetricsFile)); err == nil {
				t.Metrics = b
			} else if !errors.Is(err, os.ErrNotExist) {
				return out, err
			}
		}
		out.Trials = append(out.Trials, t)
	}
	return out, nil
}

// StatusNotRun is the status, in `sweep --shard --json`, of a trial that
// could not run; it stays pending for --collect.
const StatusNotRun = "not_run"

// ShardJSON is what `sweep --shard --json` prints: the trials the shard
// ran, with their outcome.
type ShardJSON struct {
	Shard string `json:"shard"`
	// SweepID is the sweep the shard's trials belong to, the id of the
	// sweep directory --collect writes of them (see pipeline.SweepID).
	SweepID string           `json:"sweep_id"`
	Trials  []ShardTrialJSON `json:"trials"` // never null
}

// ShardTrialJSON is a trial of ShardJSON: status ok, failed, diverged or
// not_run (StatusNotRun).
type ShardTrialJSON struct {
	TrialJSON
	Cached bool        `json:"cached"`
	Stages []StageJSON `json:"stages"`
}

// NewShardTrial is what `sweep --shard --json` prints of the outcome o.
func NewShardTrial(o pipeline.TrialOutcome, status, err string) ShardTrialJSON {
	return ShardTrialJSON{TrialJSON: newTrialJSON(o.Trial, status, err), Cached: o.Cached, Stages: StagesJSON(o.Results)}
}

// ShardReport is what a shard did with its trials.
type ShardReport struct {
	JSON   ShardJSON               // what `sweep --shard --json` prints
	Cached int                     // trials whose every stage was a cache hit
	NotRun []pipeline.TrialProblem // trials that could not run: still pending
	Failed []pipeline.TrialProblem // trials that ran and failed, as the cache records
}

// NewShardReport sorts the outcomes of the trials shard of the sweep
// sweepID ran with eng into finished, failed (the cache records their
// failure) and not run.
func NewShardReport(eng *pipeline.Engine, shard, sweepID string, outcomes []pipeline.TrialOutcome) *ShardReport {
	r := &ShardReport{JSON: ShardJSON{Shard: shard, SweepID: sweepID, Trials: []ShardTrialJSON{}}}
	for _, o := range outcomes {
		t := NewShardTrial(o, StatusOK, "")
		switch {
		case o.Err == nil:
			if o.Cached {
				r.Cached++
			}
		case eng.RecordsFailure(o.Trial, o.Err):
			r.Failed = append(r.Failed, pipeline.Failed(o.Trial, o.Err))
			t.Status, t.Error = pipeline.StatusOf(o.Err), ErrorJSON(o.Err.Error())
		default:
			r.NotRun = append(r.NotRun, pipeline.NotRun(o.Trial, o.Err))
			t.Status, t.Error = StatusNotRun, ErrorJSON(o.Err.Error())
		}
		r.JSON.Trials = append(r.JSON.Trials, t)
	}
	return r
}

// Line is what `sweep --shard` prints of r: the shard as resolved, its
// trials, and the sweep to assemble them into.
func (r *ShardReport) Line() string {
	return fmt.Sprintf("shard %s: %s, %d cached, %d failed, %d did not run; sweep %s, assemble with: nnpipe sweep --collect",
		r.JSON.Shard, report.Plural(len(r.JSON.Trials), "trial", "trials"), r.Cached, len(r.Failed), len(r.NotRun), r.JSON.SweepID)
}

// Problems is the error of the shard's trials that failed or did not run,
// nil when every one finished (see pipeline.ReportProblems).
func (r *ShardReport) Problems() error {
	last := fmt.Sprintf("shard %s: %s", r.JSON.Shard, pipeline.ProblemCounts(len(r.NotRun), len(r.Failed), len(r.JSON.Trials)))
	return pipeline.ReportProblems(r.NotRun, r.Failed, last, nil)
}

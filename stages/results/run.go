package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/model"
)

// Info is what a run directory records about its run besides the results
// of its stages.
type Info struct {
	ID      string  // the run id, or the trial id of a sweep trial
	Status  string  // StatusOK, StatusFailed or StatusDiverged; empty means StatusOK
	Error   string  // why it failed
	Seconds float64 // how long the run took
	Version string  // nnpipe's version
	// Report, when set, writes the run directory's report.html.
	Report ReportFunc
}

// Run is a written run directory.
type Run struct {
	ID          string
	Dir         string
	Results     []*pipeline.StageResult
	MetricsJSON json.RawMessage // metrics.json; nil when no stage outputs metrics
	Summary     *Row
}

// WriteRun assembles the run directory final from the results of chain's
// stages, under a temporary name, and renames it into place.
//
// A run directory inside a sweep's is not flushed on its own (sync false):
// the sweep's directory is flushed once, as a whole, when it is committed.
func WriteRun(final string, chain *pipeline.Chain, results []*pipeline.StageResult, info Info, sync bool) (*Run, error) {
	var run *Run
	err := writeDir(final, sync, func(rd *pipeline.RunDir) (err error) {
		run, err = FillRun(rd, chain, results, info)
		return err
	})
	if err != nil {
		return nil, err
	}
	run.Dir = final
	return run, nil
}

// writeDir builds the directory final with fill, under a temporary name,
// and renames it into place (flushed to disk only when sync).
func writeDir(final string, sync bool, fill func(rd *pipeline.RunDir) error) error {
	rd, err := pipeline.NewRunDir(final)
	if err != nil {
		return err
	}
	rd.NoSync = !sync
	return rd.Finish(fill(rd))
}

// FillRun writes the files of a run directory into rd, which the caller
// commits: the effective config, the stages' published outputs, metrics,
// summaries and manifest.
func FillRun(rd *pipeline.RunDir, chain *pipeline.Chain, results []*pipeline.StageResult, info Info) (*Run, error) {
	if info.Status == "" {
		info.Status = StatusOK
	}
	run := &Run{ID: info.ID, Results: results}
	cfg, err := chain.EffectiveYAML()
	if err != nil {
		return nil, err
	}
	if err := rd.WriteFile(ConfigFile, cfg); err != nil {
		return nil, err
	}
	models := modelOutputs(results)
	for name, p := range pipeline.PublishedFiles(results) {
		var err error
		if models[p.Src] {
			err = model.Stamp(rd.Path(name), p.Src, p.Digest, model.Source{Name: chain.Name, ConfigSHA256: chain.Hash})
		} else {
			err = rd.CopyPublished(name, p)
		}
		if err != nil {
			return nil, err
		}
	}
	// The copied outputs are most of the run's bytes: the disk takes them
	// while the summaries and the report are computed.
	rd.StartFlush()
	var metrics *evaluate.Metrics
	if path, ok := metricsOutput(results); ok {
		if run.MetricsJSON, err = os.ReadFile(path); err != nil {
			return nil, err
		}
		if metrics, err = evaluate.Read(path); err != nil {
			return nil, err
		}
	}
	row := NewRow(chain, results, metrics)
	row.TrialID, row.Status, row.Seconds = info.ID, info.Status, info.Seconds
	run.Summary = row
	if err := writeSummaries(rd, row, info.Version); err != nil {
		return nil, err
	}
	return run, finishRunDir(rd, newManifest(chain, info), results, info.Report)
}

// finishRunDir completes the run directory rd, whose other files are
// written: m gets the stages of results, the report (if report is not nil)
// is written with it, and then the manifest, with the digest of every file,
// last.
func finishRunDir(rd *pipeline.RunDir, m *Manifest, results []*pipeline.StageResult, report ReportFunc) error {
	for _, r := range results {
		m.Stages = append(m.Stages, ManifestStage{ID: r.ID, Kind: r.Kind, Key: r.Key, Cached: r.Cached,
			Seconds: r.Seconds, ComputeSeconds: r.ComputeSeconds, Outputs: r.Digests})
	}
	if err := writeReport(rd, report, m); err != nil {
		return err
	}
	if err := digestTree(rd.Path(""), m.Files); err != nil {
		return err
	}
	b, err := marshalFile(m)
	if err != nil {
		return err
	}
	return rd.WriteFile(ManifestFile, b)
}

// writeReport writes report.html into rd with report, if not nil, giving
// it the name the directory will have: the page is then the one `nnpipe
// report .` writes there, even of a run written to `run --out DIR`.
func writeReport(rd *pipeline.RunDir, report ReportFunc, m *Manifest) error {
	if report == nil {
		return nil
	}
	b, err := report(rd.Path(""), filepath.Base(rd.Final()), m)
	if err != nil {
		return fmt.Errorf("%s: %w", ReportFile, err)
	}
	return rd.WriteFile(ReportFile, b)
}

// modelOutputs returns the files of the outputs that hold a model (pipeline.Output.Model),
// which a run directory stamps with the run instead of copying.
func modelOutputs(results []*pipeline.StageResult) map[string]bool {
	files := map[string]bool{}
	for _, r := range results {
		for _, o := range r.Spec.Outputs {
			if o.Model {
				files[r.Outputs[o.Slot]] = true
			}
		}
	}
	return files
}

// metricsOutput returns the file of the first output that holds a run's
// metrics (pipeline.Output.Metrics), if a stage has one.
func metricsOutput(results []*pipeline.StageResult) (string, bool) {
	for _, r := range results {
		for _, o := range r.Spec.Outputs {
			if o.Metrics {
				return r.Outputs[o.Slot], true
			}
		}
	}
	return "", false
}

func newManifest(chain *pipeline.Chain, info Info) *Manifest {
	return &Manifest{Format: Format, Nnpipe: info.Version, RunID: info.ID, Name: chain.Name, ConfigSHA256: chain.Hash,
		Created: time.Now().UTC().Format(time.RFC3339), Status: info.Status, Error: info.Error, Seconds: info.Seconds, Files: map[string]string{}}
}

// writeSummaries writes the summary.parquet and summary.md of a run.
func writeSummaries(rd *pipeline.RunDir, row *Row, version string) error {
	if err := WriteSummary(rd.Path(SummaryFile), []*Row{row}, version); err != nil {
		return err
	}
	md, err := Markdown([]*Row{row})
	if err != nil {
		return err
	}
	return rd.WriteFile(SummaryMD, md)
}

// digestTree records the SHA-256 of every file under root by its
// slash-separated path.
func digestTree(root string, into map[string]string) error {
	return WalkFiles(root, func(rel string) error {
		_, sum, err := cache.DigestFile(filepath.Join(root, filepath.FromSlash(rel)))
		into[rel] = sum
		return err
	})
}

// Kept is an output a failed stage kept: its name in the run directory
// and where it is.
type Kept struct{ Name, Path string }

// KeptFiles lists the published outputs of spec found in dir, the folder
// where the engine kept what a failed stage wrote (such as a diverged
// training's history.parquet).
func KeptFiles(dir string, spec *pipeline.Spec) []Kept {
	var out []Kept
	for _, o := range spec.Outputs {
		name := strings.TrimSuffix(o.File, "/")
		path := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Stat(path); err == nil && o.Publish {
			out = append(out, Kept{Name: name, Path: path})
		}
	}
	return out
}

// KeptByFailure lists what the failed stage stageID of chain, whose cache
// key is key, kept in eng's cache.
func KeptByFailure(eng *pipeline.Engine, chain *pipeline.Chain, key, stageID string) []Kept {
	dir, ok := eng.Cache.FailedDir(key)
	if !ok {
		return nil
	}
	for _, s := range chain.Stages {
		if s.ID == stageID {
			return KeptFiles(dir, s.Spec)
		}
	}
	return nil
}

// WriteFailedRun assembles the run directory final of a run of chain that
// failed (info's status and error), as FillFailedRun fills it, under a
// temporary name, and renames it into place: a sweep's failed trial. As
// with WriteRun, a directory inside a sweep's is not flushed on its own
// (sync false).
func WriteFailedRun(final string, chain *pipeline.Chain, results []*pipeline.StageResult, info Info, failed FailedStage, kept []Kept, sync bool) error {
	return writeDir(final, sync, func(rd *pipeline.RunDir) error {
		return FillFailedRun(rd, chain, results, info, failed, kept)
	})
}

// FillFailedRun fills rd with the directory of a run of chain that failed
// (info's status and error; a diverged training is one): its effective
// config, the outputs the failing stage kept (a diverged training's
// history), the summaries with the status and error, the report when info
// has one, and the manifest, with the stages that ran before the failure
// (results), the stage that failed and the digest of every file — the
// files of a finished run but the outputs it did not make, so that
// compare, report and show read it like any other.
func FillFailedRun(rd *pipeline.RunDir, chain *pipeline.Chain, results []*pipeline.StageResult, info Info, failed FailedStage, kept []Kept) error {
	cfg, err := chain.EffectiveYAML()
	if err != nil {
		return err
	}
	if err := rd.WriteFile(ConfigFile, cfg); err != nil {
		return err
	}
	for _, k := range kept {
		if err := rd.Copy(k.Name, k.Path); err != nil {
			return err
		}
	}
	row := NewRow(chain, results, nil)
	row.TrialID, row.Status, row.Error, row.Seconds = info.ID, info.Status, info.Error, info.Seconds
	if err := writeSummaries(rd, row, info.Version); err != nil {
		return err
	}
	m := newManifest(chain, info)
	m.FailedStage = &failed
	return finishRunDir(rd, m, results, info.Report)
}

// NewRunID is the run id of a run of the config with hash started at t:
// <UTC yyyymmddThhmmss>-<the first 8 hex digits of hash>.
func NewRunID(t time.Time, hash string) string {
	return t.UTC().Format("20060102T150405") + "-" + hash[:8]
}

// MaxRunIDAttempts bounds the run-id suffixes tried (see RunIDFor).
const MaxRunIDAttempts = 1000

// RunIDFor is the run id of the attempt-th run of a config in one second:
// base, then base-2, base-3, ….
func RunIDFor(base string, attempt int) string {
	if attempt == 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, attempt)
}

// Recorder is the run directory of one run of a chain: started before the
// run, so that results that cannot be written fail at once, and committed
// after it, whatever became of it.
type Recorder struct {
	rd      *pipeline.RunDir
	chain   *pipeline.Chain
	exact   bool
	base    string
	attempt int
	start   time.Time
	version string
	done    bool
	// Report, when set, writes the run directory's report.html.
	Report ReportFunc
}

// StartRecord starts the run directory of a run of chain begun at start:
// <results>/<name>/<run id>, or exactly out when it is not empty (see
// StartRun). version is nnpipe's, for the manifest.
func StartRecord(resultsDir, out string, chain *pipeline.Chain, start time.Time, version string) (*Recorder, error) {
	folder := filepath.Join(resultsDir, chain.Name)
	if out != "" {
		folder = filepath.Dir(out)
	}
	if err := pipeline.CheckWritable(folder); err != nil {
		return nil, err
	}
	base := NewRunID(start, chain.Hash)
	rd, attempt, err := StartRun(folder, out, base)
	if err != nil {
		return nil, err
	}
	return &Recorder{rd: rd, chain: chain, exact: out != "", base: base, attempt: attempt, start: start, version: version}, nil
}

// Final returns where the run directory is, once committed.
func (r *Recorder) Final() string { return r.rd.Final() }

// Abort removes the run directory, and the folders made for it, unless it
// was committed.
func (r *Recorder) Abort() {
	if !r.done {
		r.rd.Abort()
	}
}

func (r *Recorder) info(runID string) Info {
	return Info{ID: runID, Status: StatusOK, Seconds: time.Since(r.start).Seconds(), Version: r.version, Report: r.Report}
}

// Commit writes the directory of the run, which finished with the results
// stages, and commits it.
func (r *Recorder) Commit(stages []*pipeline.StageResult) (*Run, error) {
	var run *Run
	err := CommitRun(r.rd, r.exact, r.base, r.attempt, func(runID string) error {
		var err error
		run, err = FillRun(r.rd, r.chain, stages, r.info(runID))
		return err
	})
	if err != nil {
		return nil, err
	}
	r.done = true
	run.Dir = r.rd.Final()
	return run, nil
}

// CommitFailed writes the directory of the run, whose stage failed with
// runErr keeping outputs (failed: a diverged training's history) after the
// stages of stages finished, and commits it: the run's status and error,
// and what the stage kept. It returns the run, without metrics.
func (r *Recorder) CommitFailed(runErr error, failed *pipeline.FailedStageError, stages []*pipeline.StageResult) (*Run, error) {
	run := &Run{Results: stages}
	err := CommitRun(r.rd, r.exact, r.base, r.attempt, func(runID string) error {
		i := r.info(runID)
		i.Status, i.Error = pipeline.StatusOf(runErr), runErr.Error()
		run.ID, run.Summary = runID, &Row{TrialID: runID, Status: i.Status, Error: i.Error}
		return FillFailedRun(r.rd, r.chain, stages, i, FailedStage{ID: failed.Stage, Kind: failed.Spec.Kind, Key: failed.Key}, KeptFiles(failed.Dir, failed.Spec))
	})
	if err != nil {
		return nil, err
	}
	r.done = true
	run.Dir = r.rd.Final()
	return run, nil
}

// StartSweep starts building the directory of sweep id of the config
// name: exactly at dir when it is not empty (--out; what killed runs left
// beside it is removed first, see pipeline.RemoveAbandoned), else
// <resultsDir>/<name>/sweep-<id>, which a complete new version replaces
// when it is one (CheckSweepPlace).
func StartSweep(resultsDir, dir, name, id string) (*pipeline.RunDir, error) {
	if dir != "" {
		pipeline.RemoveAbandoned(dir)
		return pipeline.NewRunDir(dir)
	}
	final := filepath.Join(resultsDir, name, "sweep-"+id)
	if err := CheckSweepPlace(final); err != nil {
		return nil, err
	}
	return pipeline.NewReplacingRunDir(final)
}

// StartRun starts the run directory of run id base in folder, or exactly
// at dir when it is not empty (--out; what killed runs left beside it is
// removed first, see pipeline.RemoveAbandoned). Runs of the same config started in
// the same second share a run id: unless dir is given, a taken name moves
// the run to the next suffix (RunIDFor). It returns the run directory and
// the attempt it took, for CommitRun.
func StartRun(folder, dir, base string) (*pipeline.RunDir, int, error) {
	if dir != "" {
		pipeline.RemoveAbandoned(dir)
		rd, err := pipeline.NewRunDir(dir)
		return rd, 1, err
	}
	attempt := 1
	rd, err := pipeline.NewRunDir(filepath.Join(folder, base))
	for errors.Is(err, pipeline.ErrTaken) && attempt < MaxRunIDAttempts {
		attempt++
		rd, err = pipeline.NewRunDir(filepath.Join(folder, RunIDFor(base, attempt)))
	}
	return rd, attempt, err
}

// CommitRun fills rd, started by StartRun as try first of the run id base,
// and commits it. When its name was taken meanwhile by a run of the same
// config, the run is written again under the next suffix, unless the
// folder was given exactly (exact).
func CommitRun(rd *pipeline.RunDir, exact bool, base string, first int, fill func(runID string) error) error {
	for attempt := first; ; attempt++ {
		runID := RunIDFor(base, attempt)
		if attempt > first {
			if err := rd.Reset(filepath.Join(filepath.Dir(rd.Final()), runID)); err != nil {
				return err
			}
		}
		err := fill(runID)
		if err == nil {
			err = rd.Commit()
		}
		if err == nil || exact || !errors.Is(err, pipeline.ErrTaken) || attempt >= MaxRunIDAttempts {
			return err
		}
	}
}

// Package results is the format of nnpipe's results — the files of a run
// directory and of a sweep directory — with their writers, their readers
// and the check that a directory is complete. Every command reads and
// writes results through it: run, sweep (and its --collect), show,
// compare and cache gc.
//
// # Format version
//
// Format (2) is the version of this layout, recorded in the "format" field
// of manifest.json and sweep.json; a change to the layout of any file below
// must change it.
//
// # A run directory
//
// results/<name>/<run-id>/, where run-id is <UTC yyyymmddThhmmss>-<the first
// 8 hex digits of the config hash> (NewRunID), with -2, -3, … appended to the
// second and later runs of the same config in the same second (RunIDFor). A
// sweep's trials are run directories named by their trial ids. A directory
// is built under a temporary name (".tmp-…", pipeline.TempPrefix) and
// renamed into place once complete, so that a directory without that prefix
// is always whole (CheckRun).
//
//	config.yaml      the effective config: every default filled in, every
//	                 seed resolved, relative paths made absolute; runs as it is
//	manifest.json    see Manifest: format, nnpipe version, run id, name,
//	                 config_sha256, created (RFC 3339, UTC), status, error,
//	                 seconds, stages (id, kind, key, cached, seconds,
//	                 compute_seconds, outputs: slot -> digest) and files
//	                 (every other file of the directory -> its SHA-256)
//	metrics.json     the metrics, when a stage outputs them (evaluate's
//	                 format: train and test cross_entropy, accuracy, n,
//	                 confusion; classes)
//	summary.parquet  one row (see Row and the columns below)
//	summary.md       the summary table, as run prints it (Row.Table)
//	report.html      written by run (not by a sweep's trials): the run as
//	                 one self-contained page (see stages/htmlreport); made
//	                 from the directory's other files alone
//	model.json       the trained model (stages/model's format, self-sufficient:
//	                 shape, weights, features, label column, classes, fitted
//	                 preprocessing, nnpipe version), copied from the output
//	                 a kind marks as a model (pipeline.Output.Model) with its
//	                 "source" set: the config's name and hash, not the run
//	                 id, so that two runs of one config write the same bytes
//	…                every other published output of the stages under its
//	                 file name (history.parquet, predictions.parquet, plots/,
//	                 gradcheck.json with the built-in kinds); a name two
//	                 stages publish is prefixed with the later stage's id
//
// A run whose stage failed after keeping some outputs (a diverged
// training's history) gets a directory too: config.yaml, a manifest.json
// with status "diverged" or "failed" and the error, summary.parquet,
// summary.md, report.html, and the outputs kept. A failed sweep trial's directory holds
// config.yaml, manifest.json and the outputs kept.
//
// # summary.parquet
//
// One row per run or sweep trial, in this column order: trial_id (string:
// the run id of a run), name, status ("ok", "failed" or "diverged"), error
// (string), seconds (float64: the run's wall time; for a sweep trial the sum
// of its stages' compute times); then one column per parameter, named by its
// config path ("seed", then each stage's parameters as <stage id>.<key>,
// "train.init.seed"), typed int64, float64, bool or string (a list is its
// JSON text; an optional value left unset has no column), as config.yaml
// writes them (a format the extension names left out, plot's figures in
// the kind's order), in the order the parameters are first seen; then the
// metrics train_cross_entropy,
// test_cross_entropy, train_accuracy, test_accuracy (float64, NaN when not
// computed), train_seconds (float64: the compute time of the stage the
// summary is about) and stopped_at (int64: the updates that stage made —
// fewer than its steps when early stopping stopped it; 0 when unknown).
// Its key-value metadata holds "nnpipe.version".
//
// Cells print the same everywhere (FormatValue): parameters exactly, in
// the shortest form that reads back the same (0.5, 0.001, 1e-05);
// measurements (metrics and times) with four decimals or three significant
// digits ("0.8800", "1.23e-05"), "-" when there is none.
//
// # A sweep directory
//
// results/<name>/sweep-<id>/, the id naming the grid and its trials
// (pipeline.SweepID); a complete new version replaces it whole.
//
//	trials/<trial-id>/  a run directory for each finished trial, and what a
//	                    failed trial left (see above)
//	summary.parquet     one row per finished or failed trial, in grid order
//	summary.md          per setting of the swept keys that are not repetitions
//	                    (seeds, folds): the
//	                    trials and failures, the mean ± std over the ok trials
//	                    of each metric; the best setting (highest mean test
//	                    accuracy, then lowest test cross-entropy) marked *
//	sweep.json          see SweepManifest: format, nnpipe version, sweep_id,
//	                    name, created, axes (key, values as written), trials
//	                    (trial_id, values: key -> value, status, error) and
//	                    pending (how many trials are not finished) and
//	                    pending_trials (those trials: trial_id, values,
//	                    status pending)
//	plots/sweep.png     test accuracy and cross-entropy against the first
//	                    swept key that is not a repetition, mean ± std over the rest
//	report.html         every trial as one self-contained page (see
//	                    stages/htmlreport)
//
// summary.parquet, summary.md, the plot and report.html are written when a
// trial has finished or failed; sweep.json always.
//
// # JSON on stdout
//
// `run --json` prints RunJSON (run_dir, run_id, status, error, metrics:
// metrics.json or null, stages: id, kind, key, cached, seconds); `sweep
// --json` prints SweepJSON (sweep_dir, sweep_id, pending, each trial's
// trial_id, values, status, error, run_dir, metrics and stages, and
// pending_trials as sweep.json has them); `sweep
// --shard --json` prints ShardJSON (shard, sweep_id, and each trial's trial_id,
// values, status — ok, failed, diverged or not_run —, error, cached and
// stages). The error is there in each, null when the status is ok
// (ErrorJSON); sweep.json leaves it out instead.
package results

// Package htmlreport writes nnpipe's results — runs, sweeps, folders of
// them — as one self-contained HTML page: what `nnpipe report` writes, and
// the report.html of every run directory (written by `run`) and sweep
// directory.
//
// # The page
//
//   - Runs: a <table> with one <tbody> row per run or sweep trial: its id,
//     source (with several), status, the parameters that vary (a switch
//     shows every one, the time of the train stage and its cache key), the
//     four metrics, seconds and, when a row has one, the error. A click on
//     a header sorts on the column (numerically when it holds numbers; rows
//     without a value last); a text filter and a status filter hide rows;
//     the best value of each metric among the rows shown is marked
//     (accuracies highest, the others lowest); the rows shown export as CSV
//     with the trial id and the train stage's cache key.
//   - Parallel coordinates (Apache ECharts): one axis per varying parameter
//     and per metric, one line per row whose metrics are all numbers (off
//     the axis of a parameter the row does not have).
//     Brushing an axis filters the table; hovering a line highlights its
//     row, and hovering a row its line.
//   - Groups: for the varying parameters picked, one row per setting with
//     n, failed and each metric's mean ± std over the rest, computed by
//     stages/comparison as `compare --group-by` computes them (the same
//     cells), and test accuracy and cross-entropy against the first key,
//     with error bars. The groupings are computed when the page is written:
//     every subset of the varying parameters while their groups number at
//     most maxGroupRows; the page names the command for the others.
//   - Drill-down: a row opens its run: the learning curve (every float
//     column of history.parquet that is not a weight, against its step; a
//     column recorded at some steps only, as val_ce, is one line through its
//     values),
//     the weight paths (the w_j_i and v_k_j columns), boundary.png, the
//     confusion matrices with the class names, the effective config, and
//     the manifest's stages with their times and cache hits.
//
// # Self-contained and safe
//
// Scripts, styles and images are inlined; a Content-Security-Policy
// allows only the page's own scripts (by hash), inline styles and data:
// images, so the page makes no request at all. The data is JSON in
// <script type="application/json"> blocks with <, > and & escaped, so no
// run name, parameter or class name can end the block, and the page puts
// text into the document as text, never as markup.
//
// # Size
//
// The page aims at targetSize bytes (ECharts is about 1.1 MB of it): the
// table, the groups, configs and stages come first; the curves get what is
// left, points spread evenly over each run's history (its first and last
// row always, the last value exact, the others to 6 significant digits);
// then boundary images while they fit. What a run's drill-down leaves out
// is said there.
//
// # Deterministic
//
// The page is a function of the files it reads, the sources' names and
// the version (and, for a source "." or "..", the name of its folder,
// which titles the page): no time, no random id. Paths are shown as
// given, or relative to Options.Base. A run or sweep directory's
// report.html (ForDir) is the page of the source "." in the directory.
package htmlreport

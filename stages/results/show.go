package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/report"
)

// Show writes a finished run directory dir as `nnpipe show` prints it: its
// manifest's header, its parameters and metrics (summary.parquet), each
// part's confusion matrix with recall and precision (metrics.json), and
// its files with their sizes. A folder that is no run (or is a sweep), and
// one whose manifest.json is not a manifest, are invalid input: the path
// is the user's to change. A summary.parquet or metrics.json that is there
// but cannot be read is left out with a line saying why; one that is not
// there is left out silently (a run without an evaluate stage has no
// metrics).
func Show(w io.Writer, dir string) error {
	m, err := ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		if _, serr := os.Stat(filepath.Join(dir, SweepFile)); serr == nil {
			return invalidf("%s is a sweep; show takes one run (a sweep's runs are in its trials/ folder; compare reads sweeps)", config.Shown(dir))
		}
		return invalidf("%s is not a finished run: no manifest.json", config.Shown(dir))
	}
	switch why := jsonProblem(err); {
	case why != "":
		return invalidf("%s is not a finished run: its manifest.json %s", config.Shown(dir), why)
	case err != nil:
		return fmt.Errorf("%s: %w", config.Shown(dir), err)
	}
	if m.RunID == "" || m.Status == "" {
		return invalidf("%s is not a finished run: its manifest.json names no run id or status", config.Shown(dir))
	}
	// A run directory may come from elsewhere: its text is shown as messages
	// show a value, quoted when it holds what a terminal would obey.
	shown := config.Shown
	fmt.Fprintf(w, "run %s (%s), status %s, nnpipe %s, %s\n", shown(m.RunID), shown(m.Name), shown(m.Status), shown(m.Nnpipe), shown(m.Created))
	if m.Error != "" {
		fmt.Fprintf(w, "error: %s\n", shown(m.Error))
	}
	tbl, err := ReadSummary(filepath.Join(dir, SummaryFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		fmt.Fprintf(w, "\n%s left out: %v\n", SummaryFile, withoutDir(err, dir))
	case tbl.Rows != 1:
		fmt.Fprintf(w, "\n%s left out: it holds %d rows, not the run's one\n", SummaryFile, tbl.Rows)
	default:
		t := report.Table{Header: []string{"parameter", "value"}, Numeric: []bool{false, true}}
		for i, f := range tbl.Fields {
			switch f.Name {
			case ColTrialID, ColName, ColStatus, ColError, ColSeconds, ColTrainSeconds:
				continue
			}
			t.Rows = append(t.Rows, []string{f.Name, FormatValue(f.Name, Value(tbl.Columns[i], 0))})
		}
		fmt.Fprintln(w)
		if err := t.Write(w, report.Text); err != nil {
			return err
		}
	}
	metrics, err := ReadMetrics(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist): // a run without an evaluate stage
	case err != nil:
		why := jsonProblem(err)
		if why != "" {
			why = "it " + why
		} else {
			why = withoutDir(err, dir)
		}
		fmt.Fprintf(w, "\n%s left out: %s\n", MetricsFile, why)
	case len(metrics.Classes) == 0: // {} or null: JSON, but no metrics
		fmt.Fprintf(w, "\n%s left out: it lists no classes\n", MetricsFile)
	default:
		for _, part := range []struct {
			name string
			p    evaluate.Part
		}{{"train", metrics.Train}, {"test", metrics.Test}} {
			fmt.Fprintln(w)
			if err := checkPart(metrics.Classes, part.p); err != nil {
				fmt.Fprintf(w, "%s: left out: %s: %v\n", part.name, MetricsFile, err)
				continue
			}
			if err := WritePart(w, part.name, metrics.Classes, part.p); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "\nfiles in %s:\n", shown(dir))
	return WalkFiles(dir, func(rel string) error {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-28s %10s\n", shown(rel), FormatBytes(info.Size()))
		return nil
	})
}

// jsonProblem says what is wrong with a JSON file that reading into a struct failed on with
// err: it "is not JSON: …", "holds a JSON array, not an object", "holds a JSON number in
// run_id" or "is a folder"; "" when err is nil or another error (one reading the file).
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("is not JSON: %v", syntax)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("holds a JSON %s in %s", typ.Value, typ.Field)
	case errors.As(err, &typ):
		return fmt.Sprintf("holds a JSON %s, not an object", typ.Value)
	case errors.Is(err, syscall.EISDIR):
		return "is a folder"
	}
	return ""
}

// checkPart says why p, a part of a metrics.json of classes, has no
// confusion matrix to print: one not K×K for its K classes, or recall and
// precision not one per class.
func checkPart(classes []string, p evaluate.Part) error {
	k := len(classes)
	if len(p.Confusion) != k || len(p.Recall) != k || len(p.Precision) != k {
		return fmt.Errorf("%d classes, but a confusion matrix of %d rows, %d recalls and %d precisions", k, len(p.Confusion), len(p.Recall), len(p.Precision))
	}
	for i, row := range p.Confusion {
		if len(row) != k {
			return fmt.Errorf("%d classes, but row %d of the confusion matrix has %d cells", k, i+1, len(row))
		}
	}
	return nil
}

// withoutDir is err's message with the folder dir left out of its paths.
func withoutDir(err error, dir string) string {
	return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
}

// WritePart writes the metrics of rows as show prints each part of a run: a line with the
// rows, cross-entropy and accuracy, then the confusion matrix with each class's recall and
// precision.
func WritePart(w io.Writer, name string, classes []string, p evaluate.Part) error {
	if err := checkPart(classes, p); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d rows, cross-entropy %s, accuracy %s\n", name, p.N,
		report.FormatFloat(p.CrossEntropy), report.FormatFloat(p.Accuracy))
	return confusionTable(classes, p).Write(w, report.Text)
}

// undefined is the cell of a recall or precision that is 0/0: a class with
// no rows has no recall, and one nothing was predicted as no precision.
// metrics.json holds 0 for them, as scikit-learn's zero_division does.
const undefined = "—"

// confusionTable is a part's confusion matrix, true classes by row and
// predicted by column, with each class's recall and precision; "—" where
// one is undefined.
func confusionTable(classes []string, p evaluate.Part) report.Table {
	header := []string{"true \\ predicted"}
	header = append(header, classes...)
	header = append(header, "recall")
	t := report.Table{Header: header}
	predicted := make([]int, len(classes))
	for k, row := range p.Confusion {
		cells := []string{classes[k]}
		rows := 0
		for j, n := range row {
			cells = append(cells, fmt.Sprint(n))
			rows += n
			predicted[j] += n
		}
		cells = append(cells, ratioCell(p.Recall[k], rows))
		t.Rows = append(t.Rows, cells)
	}
	prec := []string{"precision"}
	for k, x := range p.Precision {
		prec = append(prec, ratioCell(x, predicted[k]))
	}
	t.Rows = append(t.Rows, append(prec, ""))
	t.Numeric = make([]bool, len(header))
	for i := 1; i < len(header); i++ {
		t.Numeric[i] = true
	}
	return t
}

// ratioCell is x, a recall or precision over n rows, as a table cell:
// undefined when n is 0.
func ratioCell(x float64, n int) string {
	if n == 0 {
		return undefined
	}
	return report.FormatFloat(x)
}

// FormatBytes prints a size in the binary unit that suits it: "980 B",
// "1.9 KiB", "140.3 MiB".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

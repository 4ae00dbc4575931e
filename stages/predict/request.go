package predict

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// Request is what `nnpipe predict RUN DATA` is asked, as the user gave it.
type Request struct {
	Run  string // a run directory or a model file (see model.Open)
	Data string // the CSV or Parquet file to score
	// DataFormat is csv or parquet, how to read Data; empty: by its extension (.csv, .parquet,
	// .pq), as for the load stage.
	DataFormat string
	// Out is the file to write; empty: predictions.parquet (predictions.csv for CSV) in the
	// current folder.
	Out string
	// OutFormat is Parquet or CSV; empty: CSV when Out ends in .csv, else Parquet. One that
	// Out's extension contradicts (.csv, .parquet, .pq) is invalid.
	OutFormat string
	Delimiter string // the data's CSV delimiter; empty is a comma
	NoHeader  bool   // the data is CSV without a header row
	Version   string // nnpipe's
	// CheckOut, when set, refuses an output path before anything is read (the CLI's rules of
	// where not to write, such as inside a run directory).
	CheckOut func(out string) error
}

// Predict checks r, opens its model and scores its data (see Run). Every problem with the
// request — an unknown format, a delimiter of more than one character, an output that is the
// data file itself or cannot be written — is a pipeline.Invalid error, found before the data
// is read; one about a flag of `nnpipe predict` names it (--format, --data-format, --delimiter).
func Predict(ctx context.Context, r Request) (*Result, error) {
	opt, err := r.options()
	if err != nil {
		return nil, err
	}
	if opt.Model, opt.ModelSHA256, err = model.Open(r.Run); err != nil {
		return nil, err
	}
	return Run(ctx, opt)
}

// output returns the file the predictions go to and its format, defaults applied, or an
// error for an unknown format or one that the extension of Out contradicts: a file named
// x.csv holds CSV and y.parquet Parquet, whatever else the request says.
func (r Request) output() (out, format string, err error) {
	named := dataset.FormatOf(r.Out)
	format = strings.ToLower(r.OutFormat)
	if format == "" {
		format = named
	}
	switch format {
	case "":
		format = Parquet
	case Parquet, CSV:
	default:
		return "", "", pipeline.Invalid(fmt.Errorf("--format: unknown output format %q; want parquet or csv", r.OutFormat))
	}
	if named != "" && named != format {
		return "", "", pipeline.Invalid(fmt.Errorf("--format %s: --out %s names a %s file; give --out a .%s name, or leave --format out",
			r.OutFormat, config.Shown(r.Out), named, format))
	}
	if out = r.Out; out == "" {
		out = "predictions." + format
	}
	return out, format, nil
}

func (r Request) options() (Options, error) {
	opt := Options{Data: r.Data, Format: r.DataFormat, NoHeader: r.NoHeader, NoHeaderOption: "--no-header", Version: r.Version}
	var err error
	if opt.Out, opt.OutFormat, err = r.output(); err != nil {
		return opt, err
	}
	if r.CheckOut != nil {
		if err := r.CheckOut(opt.Out); err != nil {
			return opt, err
		}
	}
	switch strings.ToLower(r.DataFormat) {
	case "", CSV, Parquet:
	default:
		return opt, pipeline.Invalid(fmt.Errorf("--data-format: unknown format %q; want csv or parquet", r.DataFormat))
	}
	if fi, err := os.Stat(r.Data); err == nil && fi.IsDir() {
		return opt, pipeline.Invalid(fmt.Errorf("%s is a directory; give the CSV or Parquet file to score", config.Shown(r.Data)))
	}
	if r.DataFormat == "" && dataset.FormatOf(r.Data) == "" {
		return opt, pipeline.Invalid(fmt.Errorf("%s: cannot tell the format from the extension %q; give --data-format csv or parquet",
			config.Shown(r.Data), filepath.Ext(r.Data)))
	}
	if r.Delimiter != "" {
		d, ok := dataset.ParseDelimiter(r.Delimiter)
		if !ok {
			return opt, pipeline.Invalid(fmt.Errorf("--delimiter %q: want %s", r.Delimiter, dataset.DelimiterRule))
		}
		opt.Delimiter = d
	}
	if err := pipeline.CheckOutFile(opt.Out); err != nil {
		return opt, err
	}
	di, derr := os.Stat(r.Data)
	oi, oerr := os.Stat(opt.Out)
	if derr == nil && oerr == nil && os.SameFile(di, oi) {
		return opt, pipeline.Invalid(fmt.Errorf("%s is the data file; give another file to write the predictions to", config.Shown(opt.Out)))
	}
	if err := pipeline.CheckNotInput(opt.Out, "the model file", model.FileOf(r.Run)); err != nil {
		return opt, err
	}
	return opt, nil
}

// Done is the line that says what was predicted: the file, how many rows ("1 row"), and
// where they were written.
func (res *Result) Done() string {
	rows := "rows"
	if res.Rows == 1 {
		rows = "row"
	}
	return fmt.Sprintf("%s: %d %s predicted, written to %s", config.Shown(res.Data), res.Rows, rows, config.Shown(res.Out))
}

// Warning is the one-line warning about rows whose label the model never saw, or "" when
// every label is one of its classes: the file, the label column, how many rows, and the
// values (the first five, with their rows).
func (res *Result) Warning() string {
	if res.UnknownRows == 0 {
		return ""
	}
	var list strings.Builder
	for i, u := range res.Unknown {
		if i == 5 {
			fmt.Fprintf(&list, ", …")
			break
		}
		if i > 0 {
			list.WriteString(", ")
		}
		fmt.Fprintf(&list, "%q (%d)", u.Value, u.Rows)
	}
	rows := "rows have a label the model never saw, and are"
	if res.UnknownRows == 1 {
		rows = "row has a label the model never saw, and is"
	}
	return fmt.Sprintf("%s: column %q: %d %s marked incorrect: %s", res.Data, res.Label, res.UnknownRows, rows, list.String())
}

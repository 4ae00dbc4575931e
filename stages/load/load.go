package load

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// Params are the `load` stage's parameters.
type Params struct {
	Path      string   `yaml:"path" doc:"required: the CSV or Parquet file; a relative path is relative to the config file's folder"`
	Format    string   `yaml:"format" doc:"csv or parquet; empty: by the extension (.csv, .parquet, .pq)"`
	Label     string   `yaml:"label" doc:"required: the label column, integers or UTF-8 strings; the classes are its sorted distinct values, 2 to 1,000"`
	Features  []string `yaml:"features" doc:"the feature columns, in order; empty: every other numeric column that is not kept nor an unnamed index (no name, or pandas' __index_level_0__)"`
	Keep      []string `yaml:"keep" doc:"other columns carried along as text for later stages (split's column); never features"`
	Delimiter string   `yaml:"delimiter" doc:"CSV only: the field separator, one character"`
	Header    bool     `yaml:"header" doc:"CSV only: the first line names the columns; false: every line is data and the columns are c0, c1, …"`
}

// NewParams returns the defaults: a comma-separated file with a header row, every numeric
// column but the label a feature, no column kept. Path and Label have no default.
func NewParams() *Params {
	return &Params{Features: []string{}, Keep: []string{}, Delimiter: ",", Header: true}
}

// formats are the values Params.Format may take.
var formats = []string{"csv", "parquet"}

// format returns the file format: Format, or the one the extension names ("" if none does).
func (p *Params) format() string {
	if p.Format != "" {
		return p.Format
	}
	return dataset.FormatOf(p.Path)
}

// keyedParams is Params as cache keys, config hashes and config.yaml show
// it (see Params.MarshalYAML): the same fields, without the method.
type keyedParams Params

// MarshalYAML returns the parameters with a format that the path's
// extension already names left out: `format: csv` for a .csv file reads it
// as leaving format out does, so the two have one cache key and one config
// hash (the hash of a config that leaves it out is the one kept).
func (p *Params) MarshalYAML() (any, error) {
	k := keyedParams(*p)
	k.Format = dataset.KeyedFormat(k.Format, k.Path)
	return k, nil
}

// Canonical returns a copy of p with the format the file is read in
// written out: a format left to the path's extension and the same format
// set explicitly read the file alike.
func (p *Params) Canonical(string) pipeline.Params {
	c := *p
	c.Format = p.format()
	return &c
}

// Validate reports every missing, out-of-range or inconsistent parameter. It does not look at
// the file: that happens when the key is computed (see [Fingerprint]) and when the stage runs.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if p.Path == "" {
		errs = append(errs, pipeline.Errorf("path", "required: the CSV or Parquet file to load"))
	}
	if p.Format != "" && !slices.Contains(formats, p.Format) {
		errs = append(errs, pipeline.Errorf("format", "must be csv or parquet (or left out to go by the extension), got %s", config.QuoteShort(p.Format)))
	}
	format := p.format()
	if p.Path != "" && format == "" {
		errs = append(errs, pipeline.Errorf("path", "cannot tell the format from the extension %q; set format to csv or parquet", filepath.Ext(p.Path)))
	}
	if p.Label == "" {
		errs = append(errs, pipeline.Errorf("label", "required: the column that holds the classes"))
	}
	if r, ok := dataset.ParseDelimiter(p.Delimiter); !ok {
		errs = append(errs, pipeline.Errorf("delimiter", "must be %s, got %s", dataset.DelimiterRule, config.QuoteShort(p.Delimiter)))
	} else if format == "parquet" && r != ',' {
		errs = append(errs, pipeline.Errorf("delimiter", "applies to CSV only, and %s is Parquet", p.Path))
	}
	if format == "parquet" && !p.Header {
		errs = append(errs, pipeline.Errorf("header", "applies to CSV only: a Parquet file always names its columns"))
	}
	errs = append(errs, checkNames("features", p.Features, p.Label)...)
	errs = append(errs, checkNames("keep", p.Keep, p.Label)...)
	for i, k := range p.Keep {
		if slices.Contains(p.Features, k) {
			errs = append(errs, pipeline.Errorf(fmt.Sprintf("keep[%d]", i), "%s is also a feature; a kept column never is", config.QuoteShort(k)))
		}
	}
	return errs
}

// checkNames reports empty and repeated column names in a list, and the label in it.
func checkNames(key string, names []string, label string) []pipeline.FieldError {
	var errs []pipeline.FieldError
	for i, n := range names {
		k := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case n == "":
			errs = append(errs, pipeline.Errorf(k, "must name a column, got an empty name"))
		case n == label:
			errs = append(errs, pipeline.Errorf(k, "%s is the label", config.QuoteShort(n)))
		case slices.Index(names, n) < i:
			errs = append(errs, pipeline.Errorf(k, "%s is listed twice", config.QuoteShort(n)))
		}
	}
	return errs
}

// Options returns the dataset.LoadOptions that p stands for.
func (p *Params) Options() dataset.LoadOptions {
	opt := dataset.LoadOptions{Format: p.format(), Label: p.Label, Features: p.Features, Keep: p.Keep, NoHeader: !p.Header}
	if opt.Format == "csv" {
		opt.Delimiter, _ = dataset.ParseDelimiter(p.Delimiter)
	}
	return opt
}

// Fingerprint returns what the outputs depend on beyond the parameters: the SHA-256 of the
// file's bytes, as "sha256 <hex>". base is the config file's folder. A missing, unreadable or
// non-regular file (a directory, a FIFO, which is refused without blocking) is an error that
// names the file.
func Fingerprint(p pipeline.Params, base string) (string, error) {
	sum, err := dataset.Digest(dataset.Resolve(p.(*Params).Path, base))
	if err != nil {
		return "", err
	}
	return fingerprintPrefix + sum, nil
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		// Version 2: entries of version 1 may hold the rows of another content than the one
		// their key hashed (the file could change between the key and the read); a new version
		// gives every entry a new key, so none of them is ever a hit again. Version 3: the
		// dataset records the label column's name (model.Lineage), for the model file. Version
		// 4: a Parquet column of numbers no feature can hold (DECIMAL, FLOAT16, UINT64) is
		// refused when the features are taken by default, where version 3 left it out; and
		// pandas' unnamed index (__index_level_0__), which version 3 took as a feature, is not;
		// and a CSV label spanning lines, which version 3 made a class, is refused, as is a CSV
		// column of numbers written with a comma (1,5 or 1,234), which version 3 left out.
		// Version 5: a CSV number is decimal (see dataset.Load), where version 4 took Go's
		// syntax too: 0x1p4 (16) and 1_000 (1000) are refused.
		Kind: "load", Version: 5,
		Doc: "reads a CSV or Parquet file: a label column (integers or strings; at most 1,000 classes) and numeric feature columns",
		Outputs: []pipeline.Output{{Slot: "dataset", Type: "dataset", File: "dataset.parquet", ReadShape: model.DatasetShape,
			Carries: func(p pipeline.Params) []string { return p.(*Params).Keep }, CarriesKey: "keep"}},
		NewParams:   func() pipeline.Params { return NewParams() },
		Fingerprint: Fingerprint,
		PathKeys:    []string{"path"},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			opt := p.(*Params).Options()
			if io.Fingerprint != "" {
				sum, ok := strings.CutPrefix(io.Fingerprint, fingerprintPrefix)
				if !ok {
					return fmt.Errorf("fingerprint %q is not a SHA-256", io.Fingerprint)
				}
				// The key holds this digest: read exactly the bytes it describes, or fail.
				opt.SHA256, opt.TempDir = sum, filepath.Dir(io.Output("dataset"))
			}
			d, err := load(ctx, p.(*Params), io.BaseDir, opt)
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			meta, err := model.Lineage{Label: p.(*Params).Label}.Meta()
			if err != nil {
				return err
			}
			return dataset.WriteFileContext(ctx, io.Output("dataset"), d, meta)
		},
	}
}

// fingerprintPrefix starts what Fingerprint returns.
const fingerprintPrefix = "sha256 "

// Load reads the file p names, relative to base. A problem with the file or its data is a
// pipeline.Invalid error wrapping a *dataset.LoadError.
func Load(p *Params, base string) (*dataset.Dataset, error) {
	return load(context.Background(), p, base, p.Options())
}

// load is Load with the options given and ctx. A file that changed while it was read is not
// invalid input (running again can succeed): its error matches dataset.ErrChanged and is
// not a pipeline.Invalid error.
func load(ctx context.Context, p *Params, base string, opt dataset.LoadOptions) (*dataset.Dataset, error) {
	d, err := dataset.LoadContext(ctx, dataset.Resolve(p.Path, base), opt)
	var le *dataset.LoadError
	switch {
	case err == nil:
		return d, nil
	case errors.As(err, &le) && !errors.Is(err, dataset.ErrChanged):
		return nil, pipeline.Invalid(err)
	}
	return nil, err
}

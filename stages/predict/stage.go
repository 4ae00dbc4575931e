package predict

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// Params are the `predict` stage's parameters.
type Params struct {
	Run       string `yaml:"run" doc:"required: the run directory whose model.json scores the file, or a model file; a relative path is relative to the config file's folder"`
	Path      string `yaml:"path" doc:"required: the CSV or Parquet file to score, with the model's feature columns (by name); a relative path is relative to the config file's folder"`
	Format    string `yaml:"format" doc:"csv or parquet; empty: by the extension (.csv, .parquet, .pq)"`
	Delimiter string `yaml:"delimiter" doc:"CSV only: the field separator, one character"`
	Header    bool   `yaml:"header" doc:"CSV only: the first line names the columns; false: every line is data and the columns are c0, c1, …"`
}

// NewParams returns the defaults: a comma-separated file with a header row. Run and Path have
// no default.
func NewParams() *Params { return &Params{Delimiter: ",", Header: true} }

// Validate reports every missing or inconsistent parameter. It does not look at the files:
// that happens when the key is computed (see Fingerprint) and when the stage runs.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if p.Run == "" {
		errs = append(errs, pipeline.Errorf("run", "required: the run directory (or model file) to predict with"))
	}
	if p.Path == "" {
		errs = append(errs, pipeline.Errorf("path", "required: the CSV or Parquet file to score"))
	}
	format := p.format()
	switch {
	case p.Format != "" && p.Format != CSV && p.Format != Parquet:
		errs = append(errs, pipeline.Errorf("format", "must be csv or parquet (or left out to go by the extension), got %s", config.QuoteShort(p.Format)))
	case p.Path != "" && format == "":
		errs = append(errs, pipeline.Errorf("path", "cannot tell the format from the extension %q; set format to csv or parquet", filepath.Ext(p.Path)))
	}
	if r, ok := dataset.ParseDelimiter(p.Delimiter); !ok {
		errs = append(errs, pipeline.Errorf("delimiter", "must be %s, got %s", dataset.DelimiterRule, config.QuoteShort(p.Delimiter)))
	} else if format == Parquet && r != ',' {
		errs = append(errs, pipeline.Errorf("delimiter", "applies to CSV only, and %s is Parquet", p.Path))
	}
	if format == Parquet && !p.Header {
		errs = append(errs, pipeline.Errorf("header", "applies to CSV only: a Parquet file always names its columns"))
	}
	return errs
}

// keyedParams is Params as cache keys, config hashes and config.yaml show
// it (see Params.MarshalYAML): the same fields, without the method.
type keyedParams Params

// MarshalYAML returns the parameters with a format that the data file's
// extension already names left out: `format: csv` for a .csv file reads it
// as leaving format out does, so the two have one cache key and one config
// hash (the hash of a config that leaves it out is the one kept).
func (p *Params) MarshalYAML() (any, error) {
	k := keyedParams(*p)
	k.Format = dataset.KeyedFormat(k.Format, k.Path)
	return k, nil
}

// Canonical returns a copy of p with the format the file is read in
// written out (a format left to the path's extension and the same format
// set explicitly read the file alike), and a run directory as the model
// file it holds, which scores alike. base is the config's folder.
func (p *Params) Canonical(base string) pipeline.Params {
	c := *p
	c.Format = p.format()
	run := p.Run
	if run != "" && !filepath.IsAbs(run) {
		run = filepath.Join(base, run)
	}
	if fi, err := os.Stat(run); err == nil && fi.IsDir() {
		c.Run = filepath.Join(p.Run, model.File) // still relative to base, as p.Run is
	}
	return &c
}

// format returns the data file's format: Format, or the one the extension names ("" if none).
func (p *Params) format() string {
	if p.Format != "" {
		return p.Format
	}
	return dataset.FormatOf(p.Path)
}

// Fingerprint returns what the predictions depend on beyond the parameters: the digests of the
// model file and of the data file, "model sha256 <hex>, data sha256 <hex>". The model is read
// and checked here, so that a run directory without a usable model (a diverged run) is
// refused before anything runs. Every error is the user's.
func Fingerprint(p pipeline.Params, base string) (string, error) {
	pp := p.(*Params)
	_, modelSum, err := model.Open(dataset.Resolve(pp.Run, base))
	if err != nil {
		return "", err
	}
	dataSum, err := dataset.Digest(dataset.Resolve(pp.Path, base))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("model sha256 %s, data sha256 %s", modelSum, dataSum), nil
}

// parseFingerprint splits what Fingerprint returned into its two digests.
func parseFingerprint(f string) (modelSum, dataSum string, err error) {
	rest, ok := strings.CutPrefix(f, "model sha256 ")
	if ok {
		modelSum, dataSum, ok = strings.Cut(rest, ", data sha256 ")
	}
	if !ok || len(modelSum) != 64 || len(dataSum) != 64 {
		return "", "", fmt.Errorf("fingerprint %q is not two digests", f)
	}
	return modelSum, dataSum, nil
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		// Version 2: a CSV number is decimal, as load version 5 reads it, where version 1
		// took Go's syntax too (0x1p4, 1_000).
		Kind: "predict", Version: 2,
		Doc:         "scores a CSV or Parquet file with the model of a run directory (its preprocessing included), writing predictions.parquet",
		Outputs:     []pipeline.Output{{Slot: "predictions", Type: "predictions", File: "predictions.parquet", Publish: true}},
		NewParams:   func() pipeline.Params { return NewParams() },
		Fingerprint: Fingerprint,
		PathKeys:    []string{"run", "path"},
		DirKeys:     []string{"run"},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			return runStage(ctx, p.(*Params), io)
		},
	}
}

// errModelChanged is the error of a model file whose bytes are not those the key hashed.
var errModelChanged = errors.New("changed since nnpipe took its digest; nothing was kept, run again to use its new content")

func runStage(ctx context.Context, p *Params, io *pipeline.IO) error {
	run, data := dataset.Resolve(p.Run, io.BaseDir), dataset.Resolve(p.Path, io.BaseDir)
	m, modelSum, err := model.Open(run)
	if err != nil {
		return err
	}
	opt := Options{Model: m, ModelSHA256: modelSum, Data: data, Format: p.format(), NoHeader: !p.Header,
		Out: io.Output("predictions"), OutFormat: Parquet, Version: io.Version, TempDir: filepath.Dir(io.Output("predictions"))}
	if opt.Format == CSV {
		opt.Delimiter, _ = dataset.ParseDelimiter(p.Delimiter)
	}
	if io.Fingerprint != "" {
		// The key holds these digests: score exactly the bytes they describe, or fail.
		wantModel, wantData, err := parseFingerprint(io.Fingerprint)
		if err != nil {
			return err
		}
		if modelSum != wantModel {
			return fmt.Errorf("%s: %w", run, errModelChanged)
		}
		opt.DataSHA256 = wantData
	}
	res, err := Run(ctx, opt)
	if err != nil {
		return err
	}
	if w := res.Warning(); w != "" {
		io.Log.Warn(w, "stage", io.StageID)
	}
	return nil
}

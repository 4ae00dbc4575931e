package main

import (
	"fmt"

	"github.com/nnpipe/nnpipe/stages/onnx"
	"github.com/nnpipe/nnpipe/stages/predict"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
)

func newPredictCmd(e *env) *cobra.Command {
	r := predict.Request{Version: Version, CheckOut: results.OutsideRuns}
	var asJSON bool
	c := &cobra.Command{
		Use:   "predict RUN_DIR DATA",
		Short: "Score a CSV or Parquet file with a run's model, its preprocessing included; write predictions like the run's",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if err := notEmpty(c, "out", "format", "data-format", "delimiter"); err != nil {
				return err
			}
			r.Run, r.Data = args[0], args[1]
			res, err := predict.Predict(c.Context(), r)
			if err != nil {
				return err
			}
			if w := res.Warning(); w != "" {
				fmt.Fprintf(e.stderr, "nnpipe: warning: %s\n", w)
			}
			if asJSON {
				return printJSON(e, res)
			}
			fmt.Fprintln(e.stdout, res.Done())
			if res.Metrics == nil {
				return nil
			}
			return results.WritePart(e.stdout, "labelled", res.Classes, *res.Metrics)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&r.Out, "out", "o", "", "write the predictions to `FILE` (default predictions.parquet, or .csv)")
	fl.StringVar(&r.OutFormat, "format", "", "parquet or csv (default: by the --out extension, else parquet)")
	fl.StringVar(&r.DataFormat, "data-format", "", "how to read DATA, csv or parquet (default: by its extension)")
	fl.StringVar(&r.Delimiter, "delimiter", "", "the data's CSV field separator (default ,)")
	fl.BoolVar(&r.NoHeader, "no-header", false, "the data is CSV without a header row: its columns are c0, c1, …")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON on stdout")
	return c
}

func newExportCmd(e *env) *cobra.Command {
	var out string
	opt := onnx.Options{Version: Version, CheckOut: results.OutsideRuns}
	c := &cobra.Command{
		Use:   "export RUN_DIR",
		Short: "Write a run's model, its preprocessing included, as ONNX",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := notEmpty(c, "out", "format", "dtype"); err != nil {
				return err
			}
			n, err := onnx.WriteFile(args[0], out, opt)
			if err == nil {
				fmt.Fprintf(e.stdout, "%s: %s written\n", out, results.FormatBytes(int64(n)))
			}
			return err
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "model.onnx", "write the model to `FILE`")
	c.Flags().StringVar(&opt.Format, "format", onnx.Format, "the format to write: onnx")
	c.Flags().StringVar(&opt.DType, "dtype", onnx.Float64, "the values' type: float64 or float32")
	return c
}

// Package stages holds the stage kinds, one package each, and Builtin, the
// one list that registers them.
package stages

import (
	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/generate"
	"github.com/nnpipe/nnpipe/stages/gradcheck"
	"github.com/nnpipe/nnpipe/stages/load"
	"github.com/nnpipe/nnpipe/stages/plot"
	"github.com/nnpipe/nnpipe/stages/predict"
	"github.com/nnpipe/nnpipe/stages/predictions"
	"github.com/nnpipe/nnpipe/stages/split"
	"github.com/nnpipe/nnpipe/stages/standardize"
	"github.com/nnpipe/nnpipe/stages/train"
)

// Builtin returns the registry of every stage kind, in pipeline order.
func Builtin() *pipeline.Registry {
	r, err := pipeline.NewRegistry(
		generate.Spec(),    // → dataset: synthetic data (the book's Gaussian mixture, moons, spirals, …)
		load.Spec(),        // → dataset: the user's CSV or Parquet file
		split.Spec(),       // dataset → split: training and test rows
		standardize.Spec(), // dataset, split → dataset: z-scores from the training rows only
		train.Spec(),       // dataset, split → model, history: gradient descent
		gradcheck.Spec(),   // dataset, split, model → report: numerical vs back-propagated gradient
		evaluate.Spec(),    // dataset, split, model → metrics
		predictions.Spec(), // dataset, split, model → predictions.parquet
		plot.Spec(),        // history, model, dataset, split → plots/*.png
		predict.Spec(),     // → predictions.parquet: a file scored with a run directory's model
	)
	if err != nil {
		panic(err) // the list above is fixed; a test builds it
	}
	return r
}

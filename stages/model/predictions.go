package model

import (
	"fmt"
	"strconv"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

// StandardizedKey is the key-value metadata of a run's predictions.parquet that says, with
// "true", that its feature columns hold the values the model scored after its preprocessing:
// scoring them again would standardize them twice.
const StandardizedKey = "nnpipe.features_standardized"

// MaxBatchValues bounds the probabilities (rows × classes) of a batch of predictions that a
// stage holds at once, 8 MiB of float64, and the features (rows × features) of a batch that
// predict scores.
const MaxBatchValues = 1 << 20

// NamedClasses reports whether class names say more than the class ids ("0", "1", …): a
// table of predictions then also has the names beside the ids.
func NamedClasses(classes []string) bool {
	for i, c := range classes {
		if c != strconv.Itoa(i) {
			return true
		}
	}
	return false
}

// PredictionFields returns the columns of a table of predictions of a model with the given
// features and classes: `row`, `split` (with split), the features, then with labelled
// `label` and `label_name` (when NamedClasses), `predicted` and `predicted_name` (when
// named), `p_0` … `p_{K−1}`, and `correct` with labelled. The predictions stage writes them
// all; `nnpipe predict` has no split, and no labels for a file without the label column.
func PredictionFields(features, classes []string, split, labelled bool) []dataset.Field {
	named := NamedClasses(classes)
	fields := []dataset.Field{{Name: "row", Type: dataset.Int64}}
	if split {
		fields = append(fields, dataset.Field{Name: "split", Type: dataset.String})
	}
	for _, f := range features {
		fields = append(fields, dataset.Field{Name: f, Type: dataset.Float64})
	}
	if labelled {
		fields = append(fields, dataset.Field{Name: "label", Type: dataset.Int32})
		if named {
			fields = append(fields, dataset.Field{Name: "label_name", Type: dataset.String})
		}
	}
	fields = append(fields, dataset.Field{Name: "predicted", Type: dataset.Int32})
	if named {
		fields = append(fields, dataset.Field{Name: "predicted_name", Type: dataset.String})
	}
	for k := range classes {
		fields = append(fields, dataset.Field{Name: fmt.Sprintf("p_%d", k), Type: dataset.Float64})
	}
	if labelled {
		fields = append(fields, dataset.Field{Name: "correct", Type: dataset.Bool})
	}
	return fields
}

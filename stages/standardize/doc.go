// Package standardize is the `standardize` stage kind: it rescales every feature to a z-score,
// (x − mean) / deviation, with the mean and the deviation of the training rows only, so the
// test rows never leak into the model's inputs. A column that is constant over the training
// rows is only centred (shifted to 0), never divided by a zero deviation.
package standardize

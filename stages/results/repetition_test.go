package results

import "testing"

func TestRepetitionKeysAreSeedsAndFolds(t *testing.T) {
	for key, want := range map[string]bool{
		"seed": true, "train.init.seed": true, "split.seed": true, "split.fold": true, "cv.fold": true,
		"split.folds": false, "train.hidden": false, "seeds": false, "train.fold_size": false, "fold": false,
	} {
		if got := IsRepetitionKey(key); got != want {
			t.Errorf("IsRepetitionKey(%q) = %v, want %v", key, got, want)
		}
	}
}

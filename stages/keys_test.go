package stages

import (
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// TestShippedConfigsKeepTheirHashes pins the config hash of the configs that
// existed before the training options (optimizer, batch_size, l2, schedule,
// early_stopping) and k-fold splits: parameters at the values that do what
// they did are left out of the canonical form, so these hashes — and with
// them every stage's canonical parameters, its cache key and the run ids —
// are what they were. A change here means every cached result of these
// configs is recomputed; bump a stage's version instead if that is meant.
func TestShippedConfigsKeepTheirHashes(t *testing.T) {
	want := map[string]string{
		"book-ch7.yaml":          "a26e34baec07b521001499c0b5699e9ce23fc90cd848bf1135ef370a24408d5d",
		"book-ch7-backprop.yaml": "aff6b91eaeedbfa5a774ab4e06036160c42d4ccbfbe419acc2c9277c927da163",
		"book-ch7-csv.yaml":      "543b19933f922d06b359ac11abdd1ec4cecac9920d5cf589cc6d0d2bb7db3829",
		"iris.yaml":              "ad01593325852e1bad52afc6a81a0258c859d2e894ed4be37d537a38231b0c26",
		"sweep-hidden.yaml":      "caa9935c35f0ff7ed7234acd8f153379d64b03b86c94822f29b999cc90f70404",
		"sweep-book-hidden.yaml": "b3f069711e5af6900f42f43dc91656f5c3e2069bcd9391437b1756f5579b0fd6",
	}
	for name, hash := range want {
		f, err := config.Load(filepath.Join("..", "configs", name), nil)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pipeline.Compile(f, Builtin())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if plan.Hash != hash {
			eff, _ := plan.Effective()
			t.Errorf("%s: config hash %s, want %s\neffective config: %s", name, plan.Hash, hash, eff)
		}
	}
}

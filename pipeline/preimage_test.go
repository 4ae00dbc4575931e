package pipeline

import (
	"strings"
	"testing"
)

// FuzzPreimage checks that a stage key's preimage is a function of exactly
// what it describes: the same inputs give the same text, and a change of
// any parameter value or input digest changes it.
func FuzzPreimage(f *testing.F) {
	f.Add("hidden", "2", "3", "dataset", "abc")
	f.Add("learning_rate", "0.5", "0.50000001", "split", "")
	f.Add("a\nb", "x\"y", "x\\y", "in put", "d\n")
	f.Fuzz(func(t *testing.T, key, value, other, slot, digest string) {
		spec := &Spec{Kind: "k", Version: 1}
		a, err := Preimage(spec, map[string]any{key: value}, map[string]string{slot: digest}, "")
		if err != nil {
			t.Skip() // not valid UTF-8 for JSON, say
		}
		again, _ := Preimage(spec, map[string]any{key: value}, map[string]string{slot: digest}, "")
		if a != again {
			t.Fatalf("Preimage is not deterministic:\n%s\n%s", a, again)
		}
		if !strings.HasPrefix(a, KeyFormat+"\n") {
			t.Fatalf("Preimage does not start with the key format: %q", a)
		}
		if other != value {
			b, err := Preimage(spec, map[string]any{key: other}, map[string]string{slot: digest}, "")
			if err == nil && a == b {
				t.Fatalf("parameter %q = %q and = %q give the same preimage", key, value, other)
			}
		}
		c, err := Preimage(spec, map[string]any{key: value}, map[string]string{slot: digest + "x"}, "")
		if err == nil && a == c {
			t.Fatalf("input digests %q and %q give the same preimage", digest, digest+"x")
		}
	})
}

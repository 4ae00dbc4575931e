package pipeline

import (
	"runtime"
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
		if !strings.HasPrefix(a, keyHeader()+"\n") {
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

// TestKeysNameTheArchitectureButAmd64s checks the first line of the
// preimages: amd64's is the key format alone, so that its keys stay what
// they were, and another architecture's, whose arithmetic gives other last
// bits, names it, so that a cache shared by two architectures holds each
// one's results apart; and a preimage made here starts with this build's.
func TestKeysNameTheArchitectureButAmd64s(t *testing.T) {
	for arch, want := range map[string]string{
		"amd64":   KeyFormat,
		"arm64":   KeyFormat + " arm64",
		"riscv64": KeyFormat + " riscv64",
	} {
		if got := keyHeaderFor(arch); got != want {
			t.Errorf("keyHeaderFor(%q) = %q, want %q", arch, got, want)
		}
	}
	p, err := Preimage(&Spec{Kind: "k", Version: 1}, map[string]any{"n": 1}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(p, "\n"); first != keyHeaderFor(runtime.GOARCH) {
		t.Errorf("the preimage starts %q, want %q", first, keyHeaderFor(runtime.GOARCH))
	}
}

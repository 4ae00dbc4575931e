package config

import (
	"fmt"
	"testing"
)

func TestSuggest(t *testing.T) {
	params := []string{"epsilon", "gradient", "hidden", "init", "learning_rate", "record_every", "steps"}
	top := []string{"name", "seed", "stages", "sweep"}
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"hiden", params, "hidden"},
		{"hiddne", params, "hidden"},
		{"learning_rte", params, "learning_rate"},
		{"learningrate", params, "learning_rate"},
		{"LEARNING_RATE", params, "learning_rate"},
		{"stpes", params, "steps"},
		{"epsilom", params, "epsilon"},
		{"Hidden", params, "hidden"},
		{"record_evry", params, "record_every"},
		{"sede", top, "seed"},
		{"stage", top, "stages"},
		{"swep", top, "sweep"},
		{"Seed", top, "seed"},
		{"colour", params, ""},
		{"hidden_units", params, ""},
		{"x", top, ""},
		{"", nil, ""},
		{"hidden", nil, ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("Suggest(%q, %v) = %q, want %q", tt.word, tt.candidates, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "", 1},
		{"", "abc", 3},
		{"same", "same", 0},
		{"kitten", "sitting", 3},
		{"hiden", "hidden", 1},
		{"ab", "ba", 1},
		{"stpes", "steps", 1},
		{"abcd", "acbd", 1},
		// Optimal string alignment: a swapped pair is not edited again.
		{"ca", "abc", 3},
		{"héllo", "hello", 1},
		{"日本", "本日", 1},
		{"learning_rte", "learning_rate", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func BenchmarkEditDistance(b *testing.B) {
	for _, n := range []int{8, 64, 512} {
		w := make([]byte, n)
		for i := range w {
			w[i] = 'a' + byte(i%26)
		}
		b.Run(fmt.Sprintf("len=%d", n), func(b *testing.B) {
			for b.Loop() {
				editDistance(string(w), "learning_rate")
			}
		})
	}
}

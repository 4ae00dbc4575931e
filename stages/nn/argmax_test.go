package nn

import "testing"

func TestArgmaxTakesTheFirstOfEqualValues(t *testing.T) {
	cases := []struct {
		xs   []float64
		want int
	}{
		{[]float64{0.1, 0.7, 0.2}, 1},
		{[]float64{0.5, 0.5}, 0},
		{[]float64{0.2, 0.4, 0.4}, 1},
		{[]float64{1}, 0},
	}
	for _, c := range cases {
		if got := Argmax(c.xs); got != c.want {
			t.Errorf("Argmax(%v) = %d, want %d", c.xs, got, c.want)
		}
	}
}

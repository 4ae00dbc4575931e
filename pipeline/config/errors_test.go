package config

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorFormatsWhatIsKnown(t *testing.T) {
	tests := []struct {
		name string
		e    Error
		want string
	}{
		{"everything", Error{File: "x.yaml", Line: 14, Stage: "train", Key: "learning_rate", Msg: "must be > 0, got -1"},
			`x.yaml:14: stage "train": learning_rate: must be > 0, got -1`},
		{"no line", Error{File: "x.yaml", Msg: "no such file"}, "x.yaml: no such file"},
		{"no stage", Error{File: "x.yaml", Line: 2, Key: "seed", Msg: "m"}, "x.yaml:2: seed: m"},
		{"an origin replaces the file and line", Error{File: "x.yaml", Line: 3, Origin: "--set train.hidden=0", Stage: "train", Key: "hidden", Msg: "m"},
			`--set train.hidden=0: stage "train": hidden: m`},
		{"a trial", Error{File: "x.yaml", Line: 3, Trial: "train.hidden=4", Stage: "train", Key: "hidden", Msg: "m"},
			`x.yaml:3: trial train.hidden=4: stage "train": hidden: m`},
		{"only a message", Error{Msg: "m"}, "m"},
		{"a file name on two lines is quoted", Error{File: "a\nb.yaml", Line: 2, Msg: "m"}, `"a\nb.yaml":2: m`},
		{"a file name that is not UTF-8 is quoted", Error{File: "a\xffb.yaml", Msg: "m"}, `"a\xffb.yaml": m`},
		{"a trial with a line separator is quoted", Error{File: "x.yaml", Trial: "name=a\u2028b", Msg: "m"}, `x.yaml: trial "name=a\u2028b": m`},
		{"a key on two lines is quoted", Error{File: "x.yaml", Line: 5, Stage: "data", Key: "with.a\nb", Msg: "m"}, `x.yaml:5: stage "data": "with.a\nb": m`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%s: (%#v).Error() = %q, want %q", tt.name, tt.e, got, tt.want)
		}
	}
}

func TestErrorsErr(t *testing.T) {
	if err := Errors(nil).Err(); err != nil {
		t.Errorf("Errors(nil).Err() = %v, want nil", err)
	}
	if err := (Errors{}).Err(); err != nil {
		t.Errorf("Errors{}.Err() = %v, want nil", err)
	}
	es := Errors{{File: "a", Line: 1, Msg: "one"}, {File: "a", Line: 2, Msg: "two"}}
	err := fmt.Errorf("validate: %w", es.Err())
	var got Errors
	if !errors.As(err, &got) || len(got) != 2 {
		t.Fatalf("errors.As(%v, Errors) = %v, want the two errors", err, got)
	}
	if want := "a:1: one\na:2: two"; es.Error() != want {
		t.Errorf("Errors.Error() = %q, want %q", es.Error(), want)
	}
}

package config

import (
	"reflect"
	"testing"
)

// testStop is an optional block, like train's early_stopping.
type testStop struct {
	Fraction float64 `yaml:"fraction" doc:"share held out"`
	Patience int     `yaml:"patience" doc:"epochs to wait"`
}

func (s *testStop) SetDefaults() { *s = testStop{Fraction: 0.1, Patience: 10} }

type testOptional struct {
	N    int       `yaml:"n" doc:"a number"`
	Stop *testStop `yaml:"stop" doc:"stop early; absent: never"`
}

func TestDecodeStartsAnOptionalBlockFromItsDefaults(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want *testStop
		errs []wantErr
	}{
		{"absent, the block stays off", "n: 1", nil, nil},
		{"an empty block takes every default", "stop: {}", &testStop{Fraction: 0.1, Patience: 10}, nil},
		{"a key given keeps the others' defaults", "stop: {patience: 5}", &testStop{Fraction: 0.1, Patience: 5}, nil},
		{"every key given", "stop: {patience: 0, fraction: 0.5}", &testStop{Fraction: 0.5, Patience: 0}, nil},
		{"an unknown key leaves the block off", "stop: {patiance: 5}", nil, []wantErr{{1, "stop.patiance", `did you mean "patience"`}}},
		{"null is refused", "stop: ~", nil, []wantErr{{1, "stop", "got null"}}},
		{"a scalar is refused", "stop: 3", nil, []wantErr{{1, "stop", "expected a mapping"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p testOptional
			_, errs := Decode(yamlNode(t, c.src), &p)
			checkErrors(t, "Decode("+c.src+")", errs, c.errs)
			if !reflect.DeepEqual(p.Stop, c.want) {
				t.Errorf("Decode(%s).Stop = %+v, want %+v", c.src, p.Stop, c.want)
			}
		})
	}
}

func TestDescribeListsAnOptionalBlocksKeysWithTheirDefaults(t *testing.T) {
	got := Describe(&testOptional{})
	want := []FieldInfo{
		{Key: "n", Type: "integer", Default: "0", Doc: "a number"},
		{Key: "stop", Type: "mapping", Default: "(absent: off)", Doc: "stop early; absent: never"},
		{Key: "stop.fraction", Type: "number", Default: "0.1", Doc: "share held out"},
		{Key: "stop.patience", Type: "integer", Default: "10", Doc: "epochs to wait"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe = %+v\nwant       %+v", got, want)
	}
	got = Describe(&testOptional{Stop: &testStop{Patience: 3}})
	if len(got) != 4 || got[1].Default != "(present)" || got[3].Default != "3" {
		t.Errorf("Describe of a present block = %+v, want its own values", got)
	}
}

package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

type walkInner struct {
	Std  float64 `yaml:"std" doc:"spread"`
	Seed *uint64 `yaml:"seed"`
}

type walkOuter struct {
	Hidden   int        `yaml:"hidden,omitempty"`
	Skipped  int        `yaml:"-"`
	Untagged int        // not a config key
	unexp    int        `yaml:"unexp"`
	Init     walkInner  `yaml:"init"`
	Ptr      *walkInner `yaml:"ptr"`
	Nil      *walkInner `yaml:"nil"`
	List     []walkInner
	Names    []string  `yaml:"names"`
	Node     yaml.Node `yaml:"node"`
	Empty    struct{}  `yaml:"empty"`
}

func TestWalkVisitsEveryKeyInDeclarationOrder(t *testing.T) {
	p := &walkOuter{Ptr: &walkInner{}}
	var keys []string
	Walk(reflect.ValueOf(p), "train", func(key string, f reflect.StructField, v reflect.Value) {
		keys = append(keys, key+":"+f.Name)
	})
	want := []string{"train.hidden:Hidden", "train.init.std:Std", "train.init.seed:Seed", "train.ptr.std:Std", "train.ptr.seed:Seed",
		"train.nil:Nil", "train.names:Names", "train.node:Node", "train.empty:Empty"}
	if !slices.Equal(keys, want) {
		t.Errorf("Walk visits\n%v\nwant\n%v", keys, want)
	}
	_ = p.unexp
}

// TestDescribeListsExactlyTheKeysDecodeAccepts writes every key Describe
// lists into a document, with its default, and decodes it: every key must
// be accepted, and each must be reported with its line.
func TestDescribeListsExactlyTheKeysDecodeAccepts(t *testing.T) {
	type params struct {
		Hidden int       `yaml:"hidden"`
		Init   walkInner `yaml:"init"`
		Names  []string  `yaml:"names"`
		Skip   int       `yaml:"-"`
	}
	fields := Describe(&params{Hidden: 2, Init: walkInner{Std: 0.5}, Names: []string{"a"}})
	var doc strings.Builder
	for _, f := range fields {
		if f.Default == "(derived)" {
			continue
		}
		path := strings.Split(f.Key, ".")
		for i, k := range path[:len(path)-1] {
			doc.WriteString(strings.Repeat("  ", i) + k + ":\n")
		}
		doc.WriteString(strings.Repeat("  ", len(path)-1) + path[len(path)-1] + ": " + f.Default + "\n")
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc.String()), &n); err != nil {
		t.Fatal(err)
	}
	var got params
	lines, errs := Decode(n.Content[0], &got)
	if len(errs) > 0 {
		t.Fatalf("Decode of Describe's keys:\n%s\n%v", doc.String(), errs)
	}
	for _, f := range fields {
		if _, ok := lines[f.Key]; !ok && f.Default != "(derived)" {
			t.Errorf("Decode did not read key %s", f.Key)
		}
	}
	if got.Hidden != 2 || got.Init.Std != 0.5 || !slices.Equal(got.Names, []string{"a"}) {
		t.Errorf("decoded %+v", got)
	}
}

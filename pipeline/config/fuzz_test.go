package config

import (
	"strings"
	"testing"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// checkFuzzErrors checks the invariants of every error the package returns:
// it is a config.Errors of at least one problem, each with a message, located
// in the file (or attributed to an override) at a line the source has.
func checkFuzzErrors(t *testing.T, call, path string, maxLine int, err error) {
	t.Helper()
	es := asErrors(t, err)
	if err != nil && len(es) == 0 {
		t.Fatalf("%s = %v, an empty Errors", call, err)
	}
	for i, e := range es {
		switch {
		case e == nil:
			t.Fatalf("%s error %d is nil", call, i)
		case e.Msg == "":
			t.Errorf("%s error %d = %#v, want a message", call, i, e)
		case e.Origin == "" && e.File != path:
			t.Errorf("%s error %d = %#v, want the file %q or an origin", call, i, e, path)
		case e.Line < 0 || e.Line > maxLine:
			t.Errorf("%s error %d = %#v, want a line in [0, %d]", call, i, e, maxLine)
		case strings.Contains(e.Msg, "map[") || strings.Contains(e.Msg, "[]string") || strings.Contains(e.Msg, "yaml.Node"):
			t.Errorf("%s error %d = %q names a Go type, not what was expected", call, i, e.Msg)
		}
	}
}

// fuzzDecodeStages decodes every stage's with as the engine would, checking
// the errors.
func fuzzDecodeStages(t *testing.T, f *File, maxLine int) {
	t.Helper()
	for _, s := range f.Stages {
		if s.With == nil {
			continue
		}
		p := defaultParams()
		_, errs := Decode(s.With, &p)
		for _, e := range errs {
			f.Locate(e, s)
		}
		checkFuzzErrors(t, "Decode(with of "+s.ID+")", f.Path, maxLine, errs.Err())
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(bookCh7), "train.hidden=4")
	f.Add([]byte("name: x\nstages: [{id: a, kind: k, with: {hidden: 1}}]\n"), "")
	f.Fuzz(func(t *testing.T, src []byte, set string) {
		const path = "fuzz.yaml"
		var overrides []*Override
		if o, err := ParseOverride(set); err == nil {
			overrides = append(overrides, o)
		}
		maxLine := yamlLineBreaks(string(src)) + 2
		file, err := Parse(path, src, overrides)
		checkFuzzErrors(t, "Parse", path, maxLine, err)
		if file == nil {
			if err == nil {
				t.Fatal("Parse = nil, nil")
			}
			return
		}
		if err == nil {
			if !namePattern.MatchString(file.Name) || len(file.Name) > maxNameLen {
				t.Errorf("Parse accepted the name %q", file.Name)
			}
			ids := map[string]bool{}
			for _, s := range file.Stages {
				if !idPattern.MatchString(s.ID) || len(s.ID) > maxNameLen || ids[s.ID] || s.Kind == "" {
					t.Errorf("Parse accepted the stage %q of kind %q (ids so far %v)", s.ID, s.Kind, ids)
				}
				ids[s.ID] = true
			}
			if len(file.Stages) == 0 {
				t.Errorf("Parse accepted a config without stages")
			}
			for _, a := range file.Sweep {
				if len(a.Values) == 0 && a.Origin == "" {
					t.Errorf("Parse accepted the sweep axis %q without values", a.Key)
				}
			}
		}
		fuzzDecodeStages(t, file, maxLine)
		// Build the first trial of each axis, as a sweep does.
		for _, a := range file.Sweep {
			if len(a.Values) == 0 {
				continue
			}
			g, err := file.Set(a.Key, a.Values[0])
			if err != nil {
				if err.Error() == "" {
					t.Errorf("Set(%q) returned an empty error", a.Key)
				}
				continue
			}
			fuzzDecodeStages(t, g, maxLine)
		}
	})
}

func FuzzParseOverride(f *testing.F) {
	f.Add("train.hidden=4")
	f.Add("sweep.train.hidden=1,2,4")
	f.Fuzz(func(t *testing.T, arg string) {
		o, err := ParseOverride(arg)
		if err != nil {
			if o != nil || !strings.HasPrefix(err.Error(), "--set") {
				t.Fatalf("ParseOverride(%q) = %v, %q; want nil and an error that starts with --set", arg, o, err)
			}
			return
		}
		shown := Shown(arg) // an argument of kilobytes by its start
		if utf8.RuneCountInString(arg) > 2*maxNameLen {
			shown = QuoteShort(arg)
		}
		if o.Origin != "--set "+shown || !keyPath.MatchString(o.Key) || o.Value == nil {
			t.Fatalf("ParseOverride(%q) = %+v, want its origin, a key path and a value", arg, o)
		}
		values := []*yaml.Node{o.Value}
		if strings.HasPrefix(o.Key, "sweep.") {
			if o.Value.Kind != yaml.SequenceNode {
				t.Fatalf("ParseOverride(%q) value kind = %v, want a sequence for a sweep axis", arg, o.Value.Kind)
			}
			values = o.Value.Content
		}
		for _, v := range values {
			if v.Kind != yaml.ScalarNode || v.Line != 0 {
				t.Errorf("ParseOverride(%q) value %+v, want a scalar without a line", arg, v)
			}
		}
		// Applying it to a valid config never panics, and its problems are
		// config errors.
		const path = "book.yaml"
		maxLine := strings.Count(bookCh7, "\n") + 1
		file, err := Parse(path, []byte(bookCh7), []*Override{o})
		checkFuzzErrors(t, "Parse(bookCh7, "+arg+")", path, maxLine, err)
		if file != nil {
			fuzzDecodeStages(t, file, maxLine)
		}
	})
}

// yamlLineBreaks counts the line breaks YAML sees: \n, a lone \r, and
// NEL, LS and PS, each of which starts a new line for yaml.v3.
func yamlLineBreaks(s string) int {
	n := 0
	for i, r := range s {
		switch r {
		case '\n', '\u0085', '\u2028', '\u2029':
			n++
		case '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				n++
			}
		}
	}
	return n
}

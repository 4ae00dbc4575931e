package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Override is one `--set KEY=VALUE` given on the command line.
//
// KEY is `seed` or `name` (top level), `STAGE.PARAM[.PARAM…]` (a key of a
// stage's `with`, such as train.hidden or train.init.seed), or
// `sweep.KEY` (a sweep axis; VALUE is then a comma-separated list or a YAML
// flow list). VALUE is read as a YAML scalar, so `4` is an integer, `0.5` a
// number and `numpy` a string.
type Override struct {
	Origin string     // the argument as written, for messages: `--set train.hidden=4` (quoted when it does not print as one line)
	Key    string     // the key path
	Value  *yaml.Node // a scalar, or a sequence for a sweep axis

	stage, param string // the stage id ("" for top level) and the key within it
}

var keyPath = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// MaxOverrideBytes bounds one --set argument.
const MaxOverrideBytes = 64 << 10

// ParseOverride parses one --set argument.
func ParseOverride(arg string) (*Override, error) {
	if len(arg) > MaxOverrideBytes {
		return nil, fmt.Errorf("--set: argument of %d bytes is too long", len(arg))
	}
	key, value, ok := strings.Cut(arg, "=")
	shown := Shown(arg)
	if utf8.RuneCountInString(arg) > 2*maxNameLen { // a value of kilobytes is named by its start
		shown = QuoteShort(arg)
	}
	o := &Override{Origin: "--set " + shown, Key: strings.TrimSpace(key)}
	if !ok {
		return nil, fmt.Errorf("%s: expected KEY=VALUE, such as train.hidden=4", o.Origin)
	}
	if !keyPath.MatchString(o.Key) {
		return nil, fmt.Errorf("%s: %q is not a key path; expected lower-case keys joined by dots, such as train.hidden", o.Origin, o.Key)
	}
	if strings.TrimSpace(value) == "" {
		return nil, fmt.Errorf("%s: expected a value after =", o.Origin)
	}
	var err error
	if rest, isSweep := strings.CutPrefix(o.Key, "sweep."); isSweep {
		if msg := axisKeyProblem(rest); msg != "" {
			return nil, fmt.Errorf("%s: %s", o.Origin, msg)
		}
		o.Value, err = parseList(value)
		o.stage, o.param = "sweep", rest
	} else {
		o.Value, err = parseScalar(value)
		head, rest, _ := strings.Cut(o.Key, ".")
		if rest == "" {
			o.param = head
		} else {
			o.stage, o.param = head, rest
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", o.Origin, err)
	}
	return o, nil
}

func parseScalar(s string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || len(doc.Content) != 1 {
		return nil, fmt.Errorf("value %q is not a YAML scalar", s)
	}
	n := doc.Content[0]
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("value %q is not a single value", s)
	}
	if msg := tagProblem(n); msg != "" {
		return nil, fmt.Errorf("value %q: %s", s, msg)
	}
	n.Line, n.Column = 0, 0
	return n, nil
}

func parseList(s string) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(t), &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("value %q is not a YAML list", s)
		}
		if len(doc.Content[0].Content) == 0 {
			return nil, fmt.Errorf("value %q: expected at least one value", s)
		}
		if msg := tagProblem(doc.Content[0]); msg != "" {
			return nil, fmt.Errorf("value %q: %s", s, msg)
		}
		for _, c := range doc.Content[0].Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("value %q: expected a list of scalars", s)
			}
			if msg := tagProblem(c); msg != "" {
				return nil, fmt.Errorf("value %q: %s", s, msg)
			}
			c.Line, c.Column = 0, 0
			seq.Content = append(seq.Content, c)
		}
		return seq, nil
	}
	for _, part := range strings.Split(s, ",") {
		n, err := parseScalar(part)
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, n)
	}
	return seq, nil
}

// applyTop sets a top-level key (seed, name) in the root mapping.
func (o *Override) applyTop(root *yaml.Node) error {
	if o.stage != "" {
		return nil
	}
	switch o.param {
	case "seed", "name":
		setKey(root, o.param, o.Value)
		return nil
	}
	return fmt.Errorf("only seed, name, STAGE.PARAM and sweep.KEY can be set, not %q", o.Key)
}

// applyStage sets a key inside a stage's `with`, or a sweep axis.
func (o *Override) applyStage(f *File) error {
	switch o.stage {
	case "":
		return nil
	case "sweep":
		if msg := axisKeyProblem(o.param); msg != "" {
			return errors.New(msg)
		}
		axis := &Axis{Key: o.param, Values: o.Value.Content, Origin: o.Origin}
		for i, a := range f.Sweep {
			if a.Key == o.param {
				f.Sweep[i] = axis
				return nil
			}
		}
		f.Sweep = append(f.Sweep, axis)
		return nil
	}
	s := f.Stage(o.stage)
	if s == nil {
		ids := make([]string, len(f.Stages))
		for i, st := range f.Stages {
			ids[i] = st.ID
		}
		if hint := Suggest(o.stage, ids); hint != "" {
			return fmt.Errorf("no stage with id %q (did you mean %q?)", o.stage, hint)
		}
		return fmt.Errorf("no stage with id %q (stages: %s)", o.stage, strings.Join(ids, ", "))
	}
	if s.With == nil {
		s.With = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if s.With.Kind != yaml.MappingNode {
		return errors.New("the stage's with is not a mapping")
	}
	m := s.With
	parts := strings.Split(o.param, ".")
	for _, p := range parts[:len(parts)-1] {
		child := lookup(m, p)
		if child == nil || child.Kind != yaml.MappingNode {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			setKey(m, p, child)
		}
		m = child
	}
	setKey(m, parts[len(parts)-1], o.Value)
	return nil
}

// Set applies a single value at a key path, as --set would; sweeps use it
// to build each trial. f is left as it was: the copy shares with f only
// what neither of them changes.
func (f *File) Set(key string, value *yaml.Node) (*File, error) {
	g, _, err := f.SetAll([]string{key}, []*yaml.Node{value})
	return g, err
}

// SetAll applies values[i] at keys[i], in order, as Set would one after
// the other, copying each stage it changes once. On a problem it returns
// the index of the key at fault.
func (f *File) SetAll(keys []string, values []*yaml.Node) (*File, int, error) {
	g := f.clone()
	copied := make([]bool, len(g.Stages))
	for k, key := range keys {
		if err := g.set(key, values[k], copied); err != nil {
			return nil, k, err
		}
	}
	return g, -1, nil
}

// set applies one value to f, a clone, copying the stage it changes unless
// copied says f already owns a copy.
func (f *File) set(key string, value *yaml.Node, copied []bool) error {
	origin := "--set sweep." + key
	if value.Line > 0 {
		origin = Shown(f.Path) + ":" + strconv.Itoa(value.Line)
	}
	o := &Override{Origin: origin, Key: key, Value: value}
	head, rest, _ := strings.Cut(key, ".")
	if rest == "" {
		o.param = head
	} else {
		o.stage, o.param = head, rest
	}
	if o.stage == "sweep" {
		return fmt.Errorf("%s: only seed, name and STAGE.PARAM can be swept", key)
	}
	if o.stage == "" {
		switch o.param {
		case "seed":
			if err := octalLooking(value); err != nil {
				return fmt.Errorf("seed: expected a non-negative integer, %w", err)
			}
			// As the top-level seed is decoded: an integral float (1.0,
			// 1e0) is the integer.
			var seed uint64
			if err := setInteger(reflect.ValueOf(&seed).Elem(), value, "a non-negative integer"); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			if seed > MaxSeed {
				return fmt.Errorf("seed: %s", seedRangeMsg(seed))
			}
			f.Seed = seed
		case "name":
			if value.ShortTag() != "!!str" || !namePattern.MatchString(value.Value) || len(value.Value) > maxNameLen {
				return fmt.Errorf("name: must match [a-z0-9][a-z0-9_-]*, got %s", describeNode(value))
			}
			f.Name = value.Value
		default:
			return fmt.Errorf("only seed, name and STAGE.PARAM can be swept, not %q", key)
		}
		return nil
	}
	// Copy the stage the value goes into, and the nodes along the key's
	// path; the rest stays shared with the file f was cloned from, which
	// nothing changes after parsing. A value set costs the path, not the
	// size of the stage's parameters.
	for i, s := range f.Stages {
		if s.ID != o.stage {
			continue
		}
		if !copied[i] {
			c := *s
			f.Stages[i], copied[i] = &c, true
		}
		if w := f.Stages[i].With; w != nil && w.Kind == yaml.MappingNode {
			parts := strings.Split(o.param, ".")
			f.Stages[i].With = copyPath(w, parts[:len(parts)-1])
		}
		break
	}
	if err := o.applyStage(f); err != nil {
		return err
	}
	f.overrides = append(f.overrides, o)
	return nil
}

// clone copies f and its list of stages, which Set changes; the stages
// themselves are shared until Set copies the one it changes.
func (f *File) clone() *File {
	g := *f
	g.Stages = append([]*Stage(nil), f.Stages...)
	g.overrides = append([]*Override(nil), f.overrides...)
	return &g
}

// copyPath returns a copy of the mapping n in which the mappings along the
// key path parts are copies too, so that setting a key beneath them
// changes nothing n shares; everything else is shared.
func copyPath(n *yaml.Node, parts []string) *yaml.Node {
	c := *n
	c.Content = append([]*yaml.Node(nil), n.Content...)
	if len(parts) == 0 {
		return &c
	}
	for i := 0; i+1 < len(c.Content); i += 2 {
		if c.Content[i].Value == parts[0] {
			if c.Content[i+1].Kind == yaml.MappingNode {
				c.Content[i+1] = copyPath(c.Content[i+1], parts[1:])
			}
			break
		}
	}
	return &c
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey sets key to value in mapping m, replacing the key node too, so
// that both carry no line: errors about them name the override.
func setKey(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
}

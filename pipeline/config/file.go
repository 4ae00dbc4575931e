package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// MaxFileBytes bounds the size of a config file; experiment files are a few
// kilobytes, and anything near this is a mistake or an attack.
const MaxFileBytes = 1 << 20

// MaxSeed is the largest seed a config may give, the master seed or a
// stage's: 2^63-1. Summaries hold seeds in signed 64-bit integer columns,
// and the seeds nnpipe derives stay within it too.
const MaxSeed = 1<<63 - 1

// File is an experiment config as written, before stage parameters are
// decoded: the engine decodes each stage's With node with the kind's
// parameter struct.
type File struct {
	Path   string   // the path as given, used in messages
	Name   string   // names the results folder
	Seed   uint64   // the master seed
	Stages []*Stage // in run order
	Sweep  []*Axis  // the sweep grid, in the order written

	root      *yaml.Node
	overrides []*Override
}

// Stage is one entry of the config's stage list.
type Stage struct {
	ID     string            // unique, [a-z][a-z0-9_]*
	Kind   string            // the stage kind
	With   *yaml.Node        // the parameters as written (a mapping), or nil
	Inputs map[string]string // explicit input slots: slot -> "stageid.slot" or "stageid"
	Line   int               // the line of the entry
	Lines  Lines             // lines of the entry's keys (id, kind, with, inputs.*)
}

// Axis is one key of the sweep grid and the values it takes.
type Axis struct {
	Key    string       // a key path: "seed", "name", or "<stage id>.<param path>"
	Values []*yaml.Node // scalars, in order
	Line   int
	Origin string // set when the axis came from --set
}

var (
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// reservedIDs are top-level keys of --set and sweep paths.
	reservedIDs = map[string]bool{"seed": true, "name": true, "sweep": true}
)

// maxNameLen bounds names and ids, which become folder names.
const maxNameLen = 64

type topLevel struct {
	Name   string      `yaml:"name"`
	Seed   uint64      `yaml:"seed"`
	Stages []stageDecl `yaml:"stages"`
	Sweep  yaml.Node   `yaml:"sweep"`
}

type stageDecl struct {
	ID     string            `yaml:"id"`
	Kind   string            `yaml:"kind"`
	With   yaml.Node         `yaml:"with"`
	Inputs map[string]string `yaml:"inputs" expect:"a mapping of slot: stage.slot"`
}

// Load reads and parses the config file at path (see Parse).
func Load(path string, overrides []*Override) (*File, error) {
	src, err := readLimited(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	return Parse(path, src, overrides)
}

func readLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		return nil, fmt.Errorf("cannot read: %v", errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%d bytes is too large for a config (at most %d)", fi.Size(), MaxFileBytes)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", errors.Unwrap(err))
	}
	return src, nil
}

// Parse parses src as the config file path, applies the --set overrides,
// and checks the top level and the stage list. Every problem is returned
// together, as Errors.
func Parse(path string, src []byte, overrides []*Override) (*File, error) {
	root, err := parseDocument(path, src)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, root: root, overrides: overrides}
	var errs Errors
	for _, o := range overrides {
		if err := o.applyTop(root); err != nil {
			errs = append(errs, &Error{Origin: o.Origin, Msg: err.Error()})
		}
	}
	var top topLevel
	lines, decodeErrs := Decode(root, &top)
	failed := map[string]bool{} // keys whose values could not be decoded at all
	for _, e := range decodeErrs {
		failed[e.Key] = true
		e.File = path
		localizeStageKey(e, top.Stages)
		f.attributeOrigin(e, e.Stage)
		errs = append(errs, e)
	}
	f.Name, f.Seed = top.Name, top.Seed
	if !failed["seed"] && top.Seed > MaxSeed {
		errs = append(errs, f.errAt(lines, "", "seed", seedRangeMsg(top.Seed)))
	}
	switch {
	case failed["name"]:
	case lines["name"] == 0 && !hasKey(root, "name"):
		errs = append(errs, &Error{File: path, Line: root.Line, Key: "name", Msg: "missing; expected a name such as book-ch7"})
	case len(top.Name) > maxNameLen || !namePattern.MatchString(top.Name):
		errs = append(errs, f.errAt(lines, "", "name", fmt.Sprintf("must match [a-z0-9][a-z0-9_-]* and be at most %d characters, got %s", maxNameLen, quoteShort(top.Name))))
	}
	if !hasKey(root, "stages") {
		errs = append(errs, &Error{File: path, Line: root.Line, Key: "stages", Msg: "missing; expected a list of stages"})
	} else if len(top.Stages) == 0 && len(decodeErrs) == 0 {
		errs = append(errs, f.errAt(lines, "", "stages", "expected at least one stage"))
	}
	errs = append(errs, f.parseStages(top.Stages, stageLines(lines, len(top.Stages)), failed)...)
	sweepErrs := f.parseSweep(&top.Sweep)
	errs = append(errs, sweepErrs...)
	for _, o := range overrides {
		if err := o.applyStage(f); err != nil {
			errs = append(errs, &Error{Origin: o.Origin, Msg: err.Error()})
		}
	}
	return f, errs.Err()
}

// seedRangeMsg says that seed is above MaxSeed.
func seedRangeMsg(seed uint64) string {
	return fmt.Sprintf("must be at most %d (2^63-1), the largest a summary's seed column holds, got %d", uint64(MaxSeed), seed)
}

// SweptOverrides reports the overrides (--set) of keys the sweep grid sets
// in every trial: in a sweep their values would have no effect. `run` of
// the config alone, which ignores its sweep, uses them.
func (f *File) SweptOverrides() Errors {
	var errs Errors
	for _, o := range f.overrides {
		for _, a := range f.Sweep {
			if o.stage != "sweep" && o.Key == a.Key {
				errs = append(errs, &Error{Origin: o.Origin, Msg: fmt.Sprintf("%s: the sweep sets it in every trial (sweep.%s), so this value would be unused; set the axis instead (--set sweep.%s=…), or leave one out", o.Key, a.Key, a.Key)})
			}
		}
	}
	return errs
}

// parseDocument parses src as one YAML document, refusing it whole (with a
// single error) if it is too large, malformed, more than one document,
// expanded too far by aliases, empty, or not a mapping at the top. It
// returns the top-level mapping.
func parseDocument(path string, src []byte) (*yaml.Node, error) {
	if len(src) > MaxFileBytes {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("%d bytes is too large for a config (at most %d)", len(src), MaxFileBytes)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{locateByte(locateAlias(problemLine(yamlError(path, err), src), src), src)}
	}
	// Anything after the document is refused, whether it parses (a second
	// document) or not (a malformed tail would otherwise go unread).
	// An empty one (a "---" at the end, perhaps with comments) holds nothing.
	for {
		var second yaml.Node
		err := dec.Decode(&second)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := locateByte(locateAlias(problemLine(yamlError(path, err), src), src), src)
			e.Msg = "after the document (a config is one document): " + e.Msg
			return nil, Errors{e}
		}
		if !emptyDocument(&second) {
			return nil, Errors{{File: path, Line: second.Line, Msg: "a second YAML document (after ---); a config is one document"}}
		}
	}
	written := writtenSize(&doc)
	if expandedSize(&doc, map[*yaml.Node]int{}, written+MaxAliasNodes) > written+MaxAliasNodes {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("the document expands to more than %d nodes through aliases (%d written, at most %d more from aliases); refusing it",
			written+MaxAliasNodes, written, MaxAliasNodes)}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || len(bytes.TrimSpace(src)) == 0 {
		return nil, Errors{{File: path, Msg: "the file is empty; expected name, seed and stages"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{File: path, Line: root.Line, Msg: "expected a mapping with name, seed and stages at the top level"}}
	}
	return root, nil
}

// emptyDocument reports whether doc, a decoded document, holds nothing:
// no node, or a null written as nothing at all (not "~" or "null").
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return len(doc.Content) == 1 && n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" && n.Anchor == "" && n.Style == 0
}

// stageLines groups the key lines of the file's n stages by stage, keys
// relative to the stage ("with.hidden"), in one pass: per-stage scans
// would be quadratic in the number of stages.
func stageLines(lines Lines, n int) []Lines {
	out := make([]Lines, n)
	for i := range out {
		out[i] = Lines{}
	}
	for k, l := range lines {
		rest, ok := strings.CutPrefix(k, "stages[")
		if !ok {
			continue
		}
		num, tail, ok := strings.Cut(rest, "].")
		if i, err := strconv.Atoi(num); ok && err == nil && i < len(out) {
			out[i][tail] = l
		}
	}
	return out
}

// parseStages makes f's stages from their declarations, whose key lines
// are lines, and checks each one's id and kind; failed holds the keys
// whose values could not be decoded at all.
func (f *File) parseStages(decls []stageDecl, lines []Lines, failed map[string]bool) Errors {
	var errs Errors
	ids := map[string]int{}
	for i, sd := range decls {
		st := &Stage{ID: sd.ID, Kind: sd.Kind, Inputs: sd.Inputs, Line: lines[i]["id"], Lines: lines[i]}
		if sd.With.Kind != 0 {
			// A private, alias-free copy: --set and sweeps change it in
			// place, and must not reach other stages sharing an anchor.
			// expandedSize has bounded the copy's size.
			st.With = expand(&sd.With)
		}
		if st.Line == 0 {
			st.Line = lines[i]["kind"]
		}
		if failed[fmt.Sprintf("stages[%d]", i)] {
			f.Stages = append(f.Stages, st) // the entry is not a stage: nothing more to say of it
			continue
		}
		switch {
		case sd.ID == "":
			errs = append(errs, &Error{File: f.Path, Line: stageLine(f.root, i), Key: "id", Msg: fmt.Sprintf("stage %d of the list has no id", i+1)})
		case reservedIDs[sd.ID]:
			errs = append(errs, &Error{File: f.Path, Line: st.Lines["id"], Key: "id", Msg: fmt.Sprintf("%q is reserved (seed, name and sweep start --set and sweep keys); choose another id", sd.ID)})
		case len(sd.ID) > maxNameLen || !idPattern.MatchString(sd.ID):
			errs = append(errs, &Error{File: f.Path, Line: st.Lines["id"], Key: "id", Msg: fmt.Sprintf("must match [a-z][a-z0-9_]* and be at most %d characters, got %s", maxNameLen, quoteShort(sd.ID))})
		default:
			if first, dup := ids[sd.ID]; dup {
				errs = append(errs, &Error{File: f.Path, Line: st.Lines["id"], Key: "id", Msg: fmt.Sprintf("duplicate stage id %q (first at line %d)", sd.ID, first)})
			}
			ids[sd.ID] = st.Lines["id"]
		}
		if sd.Kind == "" {
			errs = append(errs, &Error{File: f.Path, Line: stageLine(f.root, i), Stage: sd.ID, Key: "kind", Msg: "missing kind"})
		}
		f.Stages = append(f.Stages, st)
	}
	return errs
}

func (f *File) parseSweep(n *yaml.Node) Errors {
	var errs Errors
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return Errors{{File: f.Path, Line: n.Line, Key: "sweep", Msg: "expected a mapping of key paths to lists of values"}}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := "sweep." + kn.Value
		if msg := tagProblem(kn); msg != "" {
			errs = append(errs, &Error{File: f.Path, Line: kn.Line, Key: key, Msg: msg})
			continue
		}
		if first, dup := seen[strings.ToLower(kn.Value)]; dup {
			errs = append(errs, &Error{File: f.Path, Line: kn.Line, Key: key, Msg: fmt.Sprintf("key repeated (first at line %d)", first)})
			continue
		}
		seen[strings.ToLower(kn.Value)] = kn.Line
		if msg := axisKeyProblem(kn.Value); msg != "" {
			errs = append(errs, &Error{File: f.Path, Line: kn.Line, Key: key, Msg: msg})
			continue
		}
		values, err := axisValues(vn)
		if err != nil {
			errs = append(errs, &Error{File: f.Path, Line: vn.Line, Key: key, Msg: err.Error()})
			continue
		}
		f.Sweep = append(f.Sweep, &Axis{Key: kn.Value, Values: values, Line: kn.Line})
	}
	return errs
}

// axisKeyProblem says what is wrong with a sweep axis's key, or "".
func axisKeyProblem(key string) string {
	switch {
	case !keyPath.MatchString(key):
		return fmt.Sprintf("%s is not a key path; expected seed, name or STAGE.PARAM such as train.hidden", quoteShort(key))
	case key == "sweep" || strings.HasPrefix(key, "sweep."):
		return fmt.Sprintf("a sweep key names the parameter to vary: write %s; the sweep. prefix belongs to --set only", quoteShort(strings.TrimPrefix(key, "sweep.")))
	}
	return ""
}

func axisValues(n *yaml.Node) ([]*yaml.Node, error) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if msg := tagProblem(n); msg != "" {
		return nil, errors.New(msg)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errors.New("expected at least one value")
		}
		out := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			for c.Kind == yaml.AliasNode {
				c = c.Alias
			}
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("value %d: expected a scalar, got %s", i+1, describeNode(c))
			}
			if msg := tagProblem(c); msg != "" {
				return nil, fmt.Errorf("value %d: %s", i+1, msg)
			}
			out[i] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a list of values, got %s", describeNode(n))
}

// Stage returns the stage with the given id, or nil.
func (f *File) Stage(id string) *Stage {
	for _, s := range f.Stages {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// StageError builds an error located at a key of stage s's parameters; key
// is relative to `with` ("init.std"), lines are those Decode returned.
func (f *File) StageError(s *Stage, lines Lines, key, msg string) *Error {
	e := &Error{File: f.Path, Stage: s.ID, Key: key, Msg: msg}
	e.Line = lines[key]
	f.attributeOrigin(e, s.ID)
	if e.Line == 0 && e.Origin == "" {
		// A key the user left out is reported at the stage's `with` or entry.
		if l := s.Lines["with"]; l > 0 {
			e.Line = l
		} else {
			e.Line = s.Line
		}
	}
	return e
}

// Locate fills in the file and, for values that came from --set, the
// origin of an error that Decode returned for stage s.
func (f *File) Locate(e *Error, s *Stage) {
	e.File = f.Path
	if s != nil {
		e.Stage = s.ID
	}
	id := ""
	if s != nil {
		id = s.ID
	}
	f.attributeOrigin(e, id)
}

// attributeOrigin marks an error about a value that a --set override
// replaced as coming from that override. Nodes made by overrides have no
// line, so an error with a line is the file's own. The override may have
// made the key at fault on the way to its own: train.hidden.x=2 makes
// hidden a mapping, data.with.n=5 a key "with" among data's parameters.
func (f *File) attributeOrigin(e *Error, stage string) {
	if e.Line != 0 {
		return
	}
	for _, o := range f.overrides {
		if o.stage == stage && o.param != "" && e.Key != "" && (within(e.Key, o.param) || within(o.param, e.Key)) {
			e.Origin = o.Origin
		}
	}
}

// within reports whether the key path key is path or lies beneath it.
func within(key, path string) bool {
	return key == path || strings.HasPrefix(key, path+".")
}

// writtenSize counts the nodes of n as written, an alias as one.
func writtenSize(n *yaml.Node) int {
	size := 1
	for _, c := range n.Content {
		size += writtenSize(c)
	}
	return size
}

// expandedSize counts the nodes of n with every alias expanded, memoised by
// node so that it takes time linear in the document, and stops counting
// past limit.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, limit int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = limit + 1 // a cycle counts as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size = expandedSize(n.Alias, memo, limit)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo, limit)
		if size > limit {
			size = limit + 1
			break
		}
	}
	memo[n] = size
	return size
}

// expand returns a deep copy of n with every alias replaced by a copy of
// its target.
func expand(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = expand(k)
	}
	return &c
}

func (f *File) errAt(lines Lines, stage, key, msg string) *Error {
	e := &Error{File: f.Path, Line: lines[key], Stage: stage, Key: key, Msg: msg}
	f.attributeOrigin(e, stage)
	return e
}

// localizeStageKey rewrites a key "stages[3].with.x" of a top-level decode
// error as stage "<id>", key "with.x", which is how users think of it.
func localizeStageKey(e *Error, stages []stageDecl) {
	rest, ok := strings.CutPrefix(e.Key, "stages[")
	if !ok {
		return
	}
	num, tail, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return
	}
	if i < len(stages) && stages[i].ID != "" {
		e.Stage = stages[i].ID
		e.Key = strings.TrimPrefix(tail, ".")
	}
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

func stageLine(root *yaml.Node, i int) int {
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == "stages" {
			seq := root.Content[j+1]
			if seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
				return seq.Content[i].Line
			}
		}
	}
	return root.Line
}

func quoteShort(s string) string { return QuoteShort(s) }

// QuoteShort quotes s for a message as strconv.Quote does, cut after 64
// characters (marked …): a value of megabytes named in an error stays a
// line a person reads.
func QuoteShort(s string) string {
	n := 0
	for i := range s {
		if n == maxNameLen {
			return strconv.Quote(s[:i] + "…")
		}
		n++
	}
	return strconv.Quote(s)
}

// locateByte gives e, a YAML error without a line, the line of the first
// character YAML does not allow, or byte that is not UTF-8, which yaml.v3
// refuses without a line. Lines end at LF, CRLF or a lone CR, as YAML's.
func locateByte(e *Error, src []byte) *Error {
	if e.Line != 0 {
		return e
	}
	line := 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1 || !yamlPrintable(r):
			e.Line = line
			return e
		case r == '\n', r == '\r' && (i+1 == len(src) || src[i+1] != '\n'):
			line++
		}
		i += size
	}
	return e
}

// yamlPrintable reports whether YAML 1.2 allows r in a document: tab, the
// line breaks, printable ASCII, NEL, and the rest of Unicode but the C1
// controls, surrogates, U+FFFE and U+FFFF.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

var unknownAnchor = regexp.MustCompile(`^malformed YAML: unknown anchor '(.*)' referenced$`)

// locateAlias gives e, a YAML error, the line of the alias it names when
// yaml.v3 refuses an alias to an unknown anchor, which it does without a
// line.
func locateAlias(e *Error, src []byte) *Error {
	m := unknownAnchor.FindStringSubmatch(e.Msg)
	if e.Line != 0 || m == nil {
		return e
	}
	e.Line = aliasLine(src, m[1])
	return e
}

// aliasMarker starts the plain scalar that stands in for an alias in
// aliasLine; no config holds it.
const aliasMarker = "nnpipe-alias-to-"

// anyAlias matches an alias, *name, with what comes before it.
var anyAlias = regexp.MustCompile(`(^|[\s\[{,:?-])\*([^\s\[\]{},]+)`)

// aliasLine returns the line of the first alias *name in src, or 0: src is
// parsed again with every alias replaced by a plain scalar, whose node has
// the line the alias had.
func aliasLine(src []byte, name string) int {
	var doc yaml.Node
	if err := yaml.Unmarshal(anyAlias.ReplaceAll(src, []byte("${1}"+aliasMarker+"${2}")), &doc); err != nil {
		return 0
	}
	return markerLine(&doc, aliasMarker+name)
}

// markerLine returns the line of the first plain scalar marker in n, in
// the order of the document, or 0.
func markerLine(n *yaml.Node, marker string) int {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && n.Value == marker {
		return n.Line
	}
	for _, c := range n.Content {
		if l := markerLine(c, marker); l > 0 {
			return l
		}
	}
	return 0
}

// problemScanBytes bounds the YAML problemLine parses again: the sum of the
// sizes of the prefixes it tries. A config of a few kilobytes is scanned to
// its end many times over.
const problemScanBytes = 4 << 20

// problemLine puts e, a yaml.v3 error in src, on the line where src breaks:
// the first line L such that src's first L lines, and its first L+1 lines
// and so on to the whole of it, all fail to parse with e's message. yaml.v3
// reports a line near the problem rather than on it: the line before an
// unclosed '{' or '[', or the line that opens the mapping holding a
// wrongly indented key. Going back from the end, a prefix that parses, or
// fails otherwise (a flow collection a later line closes), ends the search.
// Past problemScanBytes of prefixes, e keeps yaml.v3's line.
func problemLine(e *Error, src []byte) *Error {
	if e.Line == 0 {
		return e
	}
	ends := lineEnds(src)
	if len(ends) == 0 {
		return e
	}
	// The whole of src fails with e's message: that is where e came from.
	line, budget := len(ends), problemScanBytes
	for l := len(ends) - 1; l >= 1; l-- {
		if budget -= ends[l-1]; budget < 0 {
			return e
		}
		err := parseAll(src[:ends[l-1]])
		if err == nil || yamlError(e.File, err).Msg != e.Msg {
			break
		}
		line = l
	}
	if line > 0 {
		e.Line = line
	}
	return e
}

// lineEnds returns where each line of src ends, its line break (LF, CRLF
// or CR alone) included, the last line ending at len(src). src is read as
// yaml.v3 reads it: UTF-16 after a UTF-16 byte order mark (a line break is
// then a code unit, and a byte 0x0a may be half of another), else UTF-8.
func lineEnds(src []byte) []int {
	unit, start := 1, 0
	char := func(i int) int { return int(src[i]) }
	switch {
	case bytes.HasPrefix(src, []byte("\xff\xfe")):
		unit, start = 2, 2
		char = func(i int) int { return int(src[i]) | int(src[i+1])<<8 }
	case bytes.HasPrefix(src, []byte("\xfe\xff")):
		unit, start = 2, 2
		char = func(i int) int { return int(src[i])<<8 | int(src[i+1]) }
	}
	var ends []int
	for i := start; i+unit <= len(src); i += unit {
		c := char(i)
		if c == '\n' || c == '\r' && (i+2*unit > len(src) || char(i+unit) != '\n') {
			ends = append(ends, i+unit)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	return ends
}

// parseAll parses every YAML document of src, returning the first error.
func parseAll(src []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\s*)?line (\d+): (.*)$`)

// yamlError turns a yaml.v3 parse error into one located Error.
func yamlError(path string, err error) *Error {
	msg := strings.TrimSpace(err.Error())
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = "yaml: " + strings.TrimSpace(te.Errors[0])
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: path, Line: line, Msg: "malformed YAML: " + m[2]}
	}
	return &Error{File: path, Msg: "malformed YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

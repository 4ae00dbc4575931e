package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// MaxAliasNodes bounds how many YAML nodes aliases may add to a document
// (and one Decode call may reach through aliases): a "billion laughs"
// document, whose aliases expand a few hundred bytes to billions of nodes,
// is refused instead of exhausting memory. Nodes written out count only
// against MaxFileBytes.
const MaxAliasNodes = 100_000

var nodeType = reflect.TypeOf(yaml.Node{})

// Defaulter is implemented by a pointer to a block of parameters that a
// config may leave out, a feature off while its field is nil, and that
// starts from defaults when written: Decode calls SetDefaults on the new
// block before it decodes the keys given (`early_stopping: {patience: 5}`
// keeps the other keys' defaults), and Describe lists its keys with those
// defaults.
type Defaulter interface {
	SetDefaults()
}

// Lines maps each key path that was decoded ("init.std") to its line.
type Lines map[string]int

// Decode sets the fields of the struct that dst points to from the mapping
// node n, strictly. Fields are matched by their `yaml` tag exactly; fields
// absent from n keep the values dst already holds, which is how defaults
// survive. It reports every problem: unknown keys (with the nearest valid key
// suggested), keys repeated in any letter case, dotted keys, wrong types,
// integers written with a fraction, nulls, YAML tags (`!custom 5`), and
// values whose aliases expand beyond MaxAliasNodes. The errors carry Line and Key (relative to n); the caller adds
// File and Stage. Decode panics if dst is not a pointer to a struct.
func Decode(n *yaml.Node, dst any) (Lines, Errors) {
	var dc Decoder
	return dc.Decode(n, dst)
}

// A Decoder decodes as Decode does, reading each struct type's tags once, so
// that decoding many parameter structs of a few types (the trials of a grid)
// spends its time on the values. The zero Decoder is ready to use; it is not
// safe for concurrent use.
type Decoder struct {
	fields map[reflect.Type]map[string]int
}

// Decode is Decode.
func (dc *Decoder) Decode(n *yaml.Node, dst any) (Lines, Errors) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("config.Decode: dst must be a pointer to a struct, got %T", dst))
	}
	d := &decoder{lines: Lines{}, dc: dc}
	d.value(n, v.Elem(), "")
	return d.lines, d.errs
}

// structFields maps the config keys of the struct type t (Fields) to
// their field indices, read once per type.
func (dc *Decoder) structFields(t reflect.Type) map[string]int {
	if m, ok := dc.fields[t]; ok {
		return m
	}
	if dc.fields == nil {
		dc.fields = map[reflect.Type]map[string]int{}
	}
	keys := Fields(t)
	m := make(map[string]int, len(keys))
	for _, f := range keys {
		m[f.Key] = f.Index
	}
	dc.fields[t] = m
	return m
}

type decoder struct {
	lines   Lines
	errs    Errors
	aliased int    // nodes reached through aliases
	inAlias int    // how many aliases lead to the node being decoded
	expect  string // what the next value should be, from its field's `expect` tag
	dc      *Decoder
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows aliases and counts the nodes reached through them, so
// that aliases cannot make Decode do unbounded work. It reports whether n
// was an alias.
func (d *decoder) resolve(n *yaml.Node) (*yaml.Node, bool, bool) {
	alias := false
	for n != nil && n.Kind == yaml.AliasNode {
		n, alias = n.Alias, true
	}
	if d.inAlias > 0 || alias {
		d.aliased++
		if d.aliased == MaxAliasNodes+1 {
			d.fail(n, "", "the document expands to more than %d nodes through aliases; refusing it", MaxAliasNodes)
		}
	}
	return n, alias, d.aliased <= MaxAliasNodes
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, key string) {
	want := d.expect
	d.expect = ""
	if want == "" {
		want = describeKind(v.Type())
	}
	n, alias, ok := d.resolve(n)
	if !ok || n == nil {
		return
	}
	if alias {
		d.inAlias++
		defer func() { d.inAlias-- }()
	}
	if msg := tagProblem(n); msg != "" {
		d.fail(n, key, "%s", msg)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.fail(n, key, "expected %s, got null", want)
		return
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.Kind() == reflect.Pointer {
		elem := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			elem.Elem().Set(v.Elem())
		} else if d, ok := elem.Interface().(Defaulter); ok {
			d.SetDefaults()
		}
		before := len(d.errs)
		d.value(n, elem.Elem(), key)
		if len(d.errs) == before {
			v.Set(elem)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, key, want)
	case reflect.Slice:
		d.sequence(n, v, key, want)
	case reflect.Map:
		d.stringMap(n, v, key, want)
	default:
		d.scalar(n, v, key)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, key, want string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "expected %s, got %s", want, describeNode(n))
		return
	}
	fields := d.dc.structFields(v.Type())
	seen := map[string]*yaml.Node{} // lower-cased key -> first key node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name := kn.Value
		path := joinKey(key, name)
		if name == "" {
			path = joinKey(key, `""`) // shown: a key path ending in nothing reads as no key
		}
		if kn.Kind != yaml.ScalarNode {
			d.fail(kn, key, "expected a key name, got %s", describeNode(kn))
			continue
		}
		if msg := tagProblem(kn); msg != "" {
			d.fail(kn, path, "%s", msg)
			continue
		}
		if name == "<<" {
			d.fail(kn, key, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if first, dup := seen[strings.ToLower(name)]; dup {
			if first.Value == name {
				d.fail(kn, path, "key repeated (first at line %d)", first.Line)
			} else {
				d.fail(kn, path, "key repeats %q of line %d in another letter case", first.Value, first.Line)
			}
			d.errs[len(d.errs)-1].Kept = true // the first is decoded
			continue
		}
		seen[strings.ToLower(name)] = kn
		if first, _, dotted := strings.Cut(name, "."); dotted {
			// Nesting helps only where the first part is a key that takes keys; anywhere
			// else it would only move the problem ("train.ratio" would become the unknown
			// key "train"), so the key is unknown, with the nearest valid key suggested.
			if idx, ok := fields[first]; ok && takesKeys(v.Type().Field(idx).Type) {
				d.fail(kn, path, "dotted keys are not allowed here; write %q as nested keys", name)
			} else {
				d.fail(kn, path, "%s", unknownKey(name, keyNames(fields)))
			}
			continue
		}
		idx, ok := fields[name]
		if !ok {
			d.fail(kn, path, "%s", unknownKey(name, keyNames(fields)))
			continue
		}
		d.lines[path] = kn.Line
		d.expect = v.Type().Field(idx).Tag.Get("expect")
		d.value(vn, v.Field(idx), path)
	}
}

// keyNames returns the keys of fields, sorted.
func keyNames(fields map[string]int) []string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// takesKeys reports whether a field of type t is decoded from a mapping whose keys could be
// written nested: a block of parameters, a map, or a YAML node kept as it is.
func takesKeys(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct || t.Kind() == reflect.Map
}

func unknownKey(name string, valid []string) string {
	if s := Suggest(name, valid); s != "" && name != "" {
		return fmt.Sprintf("unknown key (did you mean %q?)", s)
	}
	if len(valid) == 0 {
		return "unknown key: this takes no keys"
	}
	return fmt.Sprintf("unknown key (valid keys: %s)", strings.Join(valid, ", "))
}

// stringMap decodes a mapping with free-form keys (such as a stage's
// inputs) into a map from string to a scalar type.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, key, want string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "expected %s, got %s", want, describeNode(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		path := joinKey(key, kn.Value)
		if msg := tagProblem(kn); msg != "" {
			d.fail(kn, path, "%s", msg)
			continue
		}
		if m.MapIndex(reflect.ValueOf(kn.Value)).IsValid() {
			d.fail(kn, path, "key repeated")
			d.errs[len(d.errs)-1].Kept = true // the first is decoded
			continue
		}
		d.lines[path] = kn.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		before := len(d.errs)
		d.value(vn, elem, path)
		if len(d.errs) == before {
			m.SetMapIndex(reflect.ValueOf(kn.Value), elem)
		}
	}
	v.Set(m)
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, key, want string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, key, "expected %s, got %s", want, describeNode(n))
		return
	}
	// The list is kept even when an item has problems, so that callers can
	// go on checking the items that are fine and report everything at once.
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", key, i))
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, key, "expected %s, got %s", describeKind(v.Type()), describeNode(n))
		return
	}
	if err := SetScalar(v, n); err != nil {
		d.fail(n, key, "%s", err)
	}
}

// SetScalar stores the scalar node n into v (a string, bool, integer or
// float kind), refusing anything that would lose or reinterpret the value:
// a quoted number for a number, `yes` for a bool, 20.5 or 1e100 for an
// integer, a negative value for an unsigned integer.
func SetScalar(v reflect.Value, n *yaml.Node) error {
	tag := n.ShortTag()
	want := describeKind(v.Type())
	if err := octalLooking(n); err != nil && v.Kind() != reflect.String {
		return fmt.Errorf("expected %s, %w", want, err)
	}
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			return fmt.Errorf("expected %s, got %s", want, describeNode(n))
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if tag != "!!bool" {
			return fmt.Errorf("expected true or false, got %s", describeNode(n))
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return fmt.Errorf("expected true or false, got %s", describeNode(n))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return setInteger(v, n, want)
	case reflect.Float32, reflect.Float64:
		var f float64
		if (tag != "!!float" && tag != "!!int") || decodeFloat(n, &f) != nil {
			return fmt.Errorf("expected %s, got %s", want, describeNode(n))
		}
		if f == 0 {
			// -0.0 is 0: the canonical JSON of cache keys and config
			// hashes writes both as 0, so they must compute alike too
			// (a mixture mean of -0 beside a deviation of 0 keeps the sign
			// of a zero draw that a mean of 0 drops).
			f = 0
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
	}
	return nil
}

// maxExactInt is 2^53: below it every integer is exactly a float64, so
// `steps: 1e9` is taken as the integer it names; from it on, an integer
// written as a float may have been rounded, and is refused.
const maxExactInt = 1 << 53

// writtenExactly reports whether text, a YAML float, is the number f
// exactly, rather than one that rounds to it.
func writtenExactly(text string, f float64) bool {
	w, _, err := big.ParseFloat(strings.ReplaceAll(text, "_", ""), 10, 256, big.ToNearestEven)
	return err == nil && w.Cmp(new(big.Float).SetFloat64(f)) == 0
}

func setInteger(v reflect.Value, n *yaml.Node, want string) error {
	var i int64
	switch n.ShortTag() {
	case "!!int":
		if decodeInt(n, &i) != nil {
			var u uint64
			if v.Kind() >= reflect.Uint && n.Decode(&u) == nil {
				return setUnsigned(v, u, n)
			}
			return fmt.Errorf("expected %s, got %s, which is out of range", want, n.Value)
		}
	case "!!float":
		var f float64
		if decodeFloat(n, &f) != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
			return fmt.Errorf("expected %s, got %s", want, n.Value)
		}
		// The float read must be the number written: 9007199254740993.0
		// reads as ...992, 1.0000000000000001 as 1.
		switch {
		case math.Abs(f) >= math.MaxUint64:
			return fmt.Errorf("expected %s, got %s, which is out of range", want, n.Value)
		case math.Abs(f) > maxExactInt:
			return fmt.Errorf("expected %s, got %s: above 2^53, write an integer in digits, without a fraction or an exponent", want, n.Value)
		case !writtenExactly(n.Value, f):
			return fmt.Errorf("expected %s, got %s, which is not exactly an integer", want, n.Value)
		}
		i = int64(f)
	default:
		return fmt.Errorf("expected %s, got %s", want, describeNode(n))
	}
	if v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uintptr {
		if i < 0 {
			return fmt.Errorf("expected %s, got %s", want, n.Value)
		}
		return setUnsigned(v, uint64(i), n)
	}
	if v.OverflowInt(i) {
		return fmt.Errorf("expected %s, got %s, which is out of range", want, n.Value)
	}
	v.SetInt(i)
	return nil
}

// octalLooking refuses an integer written with a leading zero (010,
// -007): YAML 1.1, which yaml.v3 follows there, reads it as octal (8),
// YAML 1.2 and most readers as decimal (10), so the value is not what one
// reader in two expects. 0o10 says octal, 10 decimal.
func octalLooking(n *yaml.Node) error {
	if n.ShortTag() != "!!int" || n.Style != 0 {
		return nil
	}
	t := strings.TrimLeft(n.Value, "+-")
	if len(t) < 2 || t[0] != '0' || strings.TrimLeft(t, "0123456789") != "" {
		return nil
	}
	sign, digits := n.Value[:len(n.Value)-len(t)], strings.TrimLeft(t, "0")
	if digits == "" {
		digits = "0"
	}
	return fmt.Errorf("got %s: a leading zero reads as octal in YAML; write %s%s, or %s0o%s for octal", n.Value, sign, digits, sign, digits)
}

// ErrLeadingZero is the error of an integer written with a leading zero
// (010), which some readers take for octal and others for decimal.
var ErrLeadingZero = errors.New("leading zero")

// CheckDecimalInteger refuses s unless it is decimal digits, after a minus
// when signed, without a leading zero (ErrLeadingZero; strconv.ErrSyntax
// for anything else): the one spelling of an integer that every reader
// takes for the same number, where a flag parser would read 0x10, 0b11,
// 1_000, or 010 as 8. It is the rule of a command-line integer, as
// octalLooking is a config's.
func CheckDecimalInteger(s string, signed bool) error {
	digits := s
	if signed {
		digits = strings.TrimPrefix(s, "-")
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return strconv.ErrSyntax
	}
	if len(digits) > 1 && digits[0] == '0' {
		return ErrLeadingZero
	}
	return nil
}

// plainDecimal reports whether s is an optional sign and decimal digits,
// with at most one point and an exponent: the spellings on which strconv
// and YAML agree. Others (1_000, 0x1F, .inf) go through yaml.v3.
func plainDecimal(s string, float bool) bool {
	if t := strings.TrimLeft(s, "+-"); s == "" || len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' {
		return false // empty, or 010, which YAML reads as octal
	}
	digits := false
	for i := range len(s) {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case (c == '-' || c == '+') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		case float && (c == '.' || c == 'e' || c == 'E'):
		default:
			return false
		}
	}
	return digits
}

// decodeFloat is n.Decode(f) for a scalar already resolved as !!int or
// !!float, without yaml.v3's decoder for the plain spellings.
func decodeFloat(n *yaml.Node, f *float64) error {
	if n.ShortTag() == "!!int" {
		var i int64
		if decodeInt(n, &i) == nil {
			*f = float64(i) // as YAML does: -0 is the integer 0
			return nil
		}
	} else if plainDecimal(n.Value, true) {
		v, err := strconv.ParseFloat(n.Value, 64)
		if err == nil {
			*f = v
			return nil
		}
	}
	return n.Decode(f)
}

// decodeInt is n.Decode(i) for a scalar already resolved as !!int, without
// yaml.v3's decoder for plain decimal integers.
func decodeInt(n *yaml.Node, i *int64) error {
	if plainDecimal(n.Value, false) && n.Value[0] != '+' {
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err == nil {
			*i = v
			return nil
		}
	}
	return n.Decode(i)
}

func setUnsigned(v reflect.Value, u uint64, n *yaml.Node) error {
	if v.OverflowUint(u) {
		return fmt.Errorf("expected %s, got %s, which is out of range", describeKind(v.Type()), n.Value)
	}
	v.SetUint(u)
	return nil
}

// describeKind names what a value of type t looks like to a user.
func describeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describeKind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping of keys to values"
	}
	return "a value"
}

// coreTags are the tags a config's values may have: those YAML resolves
// plain values to, which may also be written out (`!!str 5`).
var coreTags = map[string]bool{"!!null": true, "!!bool": true, "!!int": true, "!!float": true, "!!str": true, "!!seq": true, "!!map": true}

// tagProblem says what is wrong with a tag written on n (`!custom 5`,
// `!!binary`), or "" when n has none or one of the core tags.
func tagProblem(n *yaml.Node) string {
	if n == nil || n.Style&yaml.TaggedStyle == 0 || coreTags[n.ShortTag()] {
		return ""
	}
	tag := strconv.Quote(n.ShortTag())
	tag = tag[1 : len(tag)-1] // escaped, unquoted: tags are written without quotes
	if len(tag) > 40 {
		tag = tag[:40] + "…"
	}
	return fmt.Sprintf("the YAML tag %s is not supported; write the value without a tag", tag)
}

// describeNode shows what the user wrote, briefly.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	case "!!null":
		return "null"
	}
	return n.Value
}

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

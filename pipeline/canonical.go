package pipeline

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// ParamsJSON returns the canonical JSON of a parameter struct: the bytes of
// json.Marshal(ParamsMap(p)). Parameter structs made of the plain types
// stages use (booleans, integers, float64s, plain strings, pointers,
// slices and structs with `yaml` tags, `omitempty` included, and values
// whose MarshalYAML returns such things) are written directly, many times
// faster than the YAML round trip; anything else takes the round trip.
func ParamsJSON(p Params) ([]byte, error) {
	b, _, err := paramsJSON(p, nil)
	return b, err
}

// paramsJSON is ParamsJSON reading struct tags through c (nil: directly),
// also reporting whether it wrote p directly. Only then is the JSON known
// to hold nothing but printable ASCII: the round trip's json.Marshal turns
// invalid UTF-8 into U+FFFD.
func paramsJSON(p Params, c fieldCache) (b []byte, direct bool, err error) {
	if b, ok, err := c.appendCanonical(make([]byte, 0, 256), reflect.ValueOf(p)); ok {
		return b, true, err
	}
	m, err := ParamsMap(p)
	if err != nil {
		return nil, false, err
	}
	b, err = json.Marshal(m)
	return b, false, err
}

var (
	yamlMarshaler = reflect.TypeFor[yaml.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroer      = reflect.TypeFor[yaml.IsZeroer]()
	durationType  = reflect.TypeFor[time.Duration]()
	nodeType      = reflect.TypeFor[yaml.Node]()
)

// appendCanonical appends v as ParamsMap's JSON would show it. ok is false
// when v holds something whose YAML form it does not reproduce exactly.
//
// A value whose own method set has MarshalYAML is written as what that
// returns, as the YAML encoder does: a parameter struct may marshal as
// another struct that leaves some keys out.
func (c fieldCache) appendCanonical(b []byte, v reflect.Value) (out []byte, ok bool, err error) {
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return append(b, "null"...), true, nil
	}
	t := v.Type()
	if t == durationType || t == nodeType || t.Implements(textMarshaler) {
		return b, false, nil
	}
	if t.Implements(yamlMarshaler) {
		m, err := v.Interface().(yaml.Marshaler).MarshalYAML()
		if err != nil {
			return b, true, err
		}
		return c.appendCanonical(b, reflect.ValueOf(m))
	}
	if reflect.PointerTo(t).Implements(yamlMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return b, false, nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		return c.appendCanonical(b, v.Elem())
	case reflect.Struct:
		return c.appendStruct(b, v)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return b, false, nil // YAML writes bytes as !!binary
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok, err = c.appendCanonical(b, v.Index(i)); !ok || err != nil {
				return b, ok, err
			}
		}
		return append(b, ']'), true, nil
	case reflect.String:
		if !plainString(v.String()) {
			return b, false, nil
		}
		return appendJSONString(b, v.String()), true, nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), true, nil
	case reflect.Float64:
		b, err = appendFloat(b, v.Float())
		return b, true, err
	}
	return b, false, nil
}

type structField struct {
	name      string
	index     int
	omitEmpty bool
}

// structFields is what the tags of a struct type say.
type structFields struct {
	sorted []structField  // the fields written, by name as encoding/json sorts a map's keys
	direct bool           // false: the struct takes the round trip (default names, inline, flow)
	byTag  map[string]int // exported fields by `yaml` tag name, for zeroKey
}

// fieldCache keeps the structFields of each struct type it has seen; a nil
// cache keeps none. One Expand uses one, so that the parameter structs of a
// grid's trials, a few types many times over, read their tags once.
type fieldCache map[reflect.Type]*structFields

// fields returns the structFields of the struct type t.
func (c fieldCache) fields(t reflect.Type) *structFields {
	if sf, ok := c[t]; ok {
		return sf
	}
	sf := &structFields{direct: true, byTag: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, hasTag := f.Tag.Lookup("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if _, dup := sf.byTag[name]; !dup {
			sf.byTag[name] = i
		}
		switch {
		case tag == "-":
			continue
		case !hasTag || name == "" || (opts != "" && opts != "omitempty") || f.Anonymous || !plainString(name):
			sf.direct = false
		}
		sf.sorted = append(sf.sorted, structField{name, i, opts == "omitempty"})
	}
	slices.SortFunc(sf.sorted, func(x, y structField) int { return strings.Compare(x.name, y.name) })
	if c != nil {
		c[t] = sf
	}
	return sf
}

// appendStruct appends a struct as the mapping YAML makes of it, keys
// sorted as encoding/json sorts a map's.
func (c fieldCache) appendStruct(b []byte, v reflect.Value) ([]byte, bool, error) {
	sf := c.fields(v.Type())
	if !sf.direct {
		return b, false, nil
	}
	b = append(b, '{')
	first := true
	for _, f := range sf.sorted {
		if f.omitEmpty {
			empty, known := isEmpty(v.Field(f.index))
			if !known {
				return b, false, nil
			}
			if empty {
				continue
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, f.name)
		b = append(b, ':')
		var ok bool
		var err error
		if b, ok, err = c.appendCanonical(b, v.Field(f.index)); !ok || err != nil {
			return b, ok, err
		}
	}
	return append(b, '}'), true, nil
}

// isEmpty reports whether the YAML encoder leaves out the field value v
// tagged omitempty. known is false for what it does not decide here: a
// struct, or a value with an IsZero method.
func isEmpty(v reflect.Value) (empty, known bool) {
	if v.Type().Implements(isZeroer) || v.Kind() == reflect.Interface && !v.IsNil() && v.Elem().Type().Implements(isZeroer) {
		return false, false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil(), true
	case reflect.String, reflect.Slice, reflect.Map:
		return v.Len() == 0, true
	case reflect.Bool:
		return !v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0, true
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0, true
	}
	return false, false
}

// appendFloat appends f as the YAML round trip leaves it. YAML writes
// strconv's shortest 'g' form, which reads back as an integer when it looks
// like one; JSON writes such an integer as it would the float, except -0,
// which the round trip turns into 0. NaN and infinities are errors, as in
// encoding/json.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	if f == 0 {
		return append(b, '0'), nil
	}
	// encoding/json's float format.
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// plainString reports whether s is printable ASCII that JSON writes as it
// is between quotes and that YAML gives back unchanged.
func plainString(s string) bool {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendJSONString appends s as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	if plainString(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// sameJSON returns the canonical JSON of step's parameters as a sweep
// compares them (canonicalParams), and that of the ones among them that
// have an effect (usedJSON).
func (c fieldCache) sameJSON(step *Step, base string) (same, used []byte, err error) {
	p, err := c.canonicalParams(step, base)
	if err != nil {
		return nil, nil, err
	}
	same = step.with
	if p != step.Params {
		if same, _, err = paramsJSON(p, c); err != nil {
			return nil, nil, err
		}
	}
	used, err = c.usedJSON(p, same)
	return same, used, err
}

// canonicalParams returns step's parameters as a sweep compares them (see
// Canonical): the kind's own canonical form, with every path parameter
// (Spec.PathKeys) the file it names, after joining a relative one to base,
// the config's folder: its device and inode where the system tells them
// (so that a hard link is the file it links), else the path resolved
// (ResolvePath). It returns the parameters
// themselves when there is nothing to rewrite.
func (c fieldCache) canonicalParams(step *Step, base string) (Params, error) {
	p := step.Params
	if cn, ok := p.(Canonical); ok {
		p = cn.Canonical(base)
	}
	paths := pathKeysOfParams(step.Spec, p, base)
	if len(paths) == 0 {
		return p, nil
	}
	v := reflect.ValueOf(p)
	cp := reflect.New(reflect.Indirect(v).Type()).Elem()
	cp.Set(reflect.Indirect(v))
	for _, pp := range paths {
		if pp.path == "" {
			continue
		}
		resolved := reflect.ValueOf(fileIdentity(ResolvePath(pp.path)))
		err := c.setKey(cp, pp.key, func(f reflect.Value) error {
			if f.Kind() != reflect.String {
				return fmt.Errorf("path parameter %q is not a string", pp.key)
			}
			f.Set(resolved.Convert(f.Type()))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return cp.Addr().Interface().(Params), nil
}

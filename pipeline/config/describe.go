package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// FieldInfo describes one config key of a parameter struct, as Decode
// reads it.
type FieldInfo struct {
	Key     string // path, such as "init.std"
	Type    string // what Decode accepts: "integer", "number", "string", "bool", "list of numbers", …
	Default string // the value the struct holds before decoding; "(derived)" for an unset optional value
	Doc     string // the field's `doc` tag
}

// Describe lists the keys of the struct that params points to, in
// declaration order, walking nested structs, from the same tags Decode
// uses. It panics if params is not a pointer to a struct.
func Describe(params any) []FieldInfo {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("config.Describe: want a pointer to a struct, got %T", params))
	}
	var out []FieldInfo
	describe(v, "", &out)
	return out
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		inner := typeName(t.Elem())
		switch inner {
		case "number":
			inner = "numbers"
		case "integer":
			inner = "integers"
		case "string":
			inner = "strings"
		default:
			inner = "(" + inner + ")"
		}
		return "list of " + inner
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer ≥ 0"
	case reflect.Bool:
		return "bool"
	}
	return strings.TrimPrefix(strings.TrimPrefix(describeKind(t), "an "), "a ")
}

func defaultText(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(derived)"
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.String {
		if v.String() == "" {
			return `""`
		}
		return v.String()
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	return string(b)
}

// describe adds the keys of the struct v (or the struct it points to)
// under prefix to out: nested structs key by key, as Walk goes into them,
// and an optional block (Defaulter) as the block itself, then its keys
// with the values it holds, or those it starts with when it is written.
func describe(v reflect.Value, prefix string, out *[]FieldInfo) {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	for _, f := range Fields(v.Type()) {
		key, fv := joinKey(prefix, f.Key), v.Field(f.Index)
		if d, ok := defaulter(fv); ok {
			def := "(present)"
			if fv.IsNil() {
				def = "(absent: off)"
				d.SetDefaults()
				fv = reflect.ValueOf(d)
			}
			*out = append(*out, FieldInfo{Key: key, Type: "mapping", Default: def, Doc: f.Struct.Tag.Get("doc")})
			describe(fv, key, out)
			continue
		}
		if nested(fv) {
			describe(fv, key, out)
			continue
		}
		*out = append(*out, FieldInfo{Key: key, Type: typeName(f.Struct.Type), Default: defaultText(fv), Doc: f.Struct.Tag.Get("doc")})
	}
}

// defaulter returns a new block of v's type when v is a pointer to an
// optional block (Defaulter).
func defaulter(v reflect.Value) (Defaulter, bool) {
	if v.Kind() != reflect.Pointer || v.Type().Elem().Kind() != reflect.Struct {
		return nil, false
	}
	d, ok := reflect.New(v.Type().Elem()).Interface().(Defaulter)
	return d, ok
}

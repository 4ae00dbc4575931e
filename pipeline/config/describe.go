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
	describe(v.Elem(), "", &out)
	return out
}

func describe(v reflect.Value, prefix string, out *[]FieldInfo) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key := joinKey(prefix, name)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != nodeType {
			describe(fv, key, out)
			continue
		}
		if fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct {
			if d, ok := reflect.New(fv.Type().Elem()).Interface().(Defaulter); ok {
				// An optional block: the block itself, then its keys as a block starts.
				def := "(absent: off)"
				if !fv.IsNil() {
					def = "(present)"
				}
				*out = append(*out, FieldInfo{Key: key, Type: "mapping", Default: def, Doc: f.Tag.Get("doc")})
				if fv.IsNil() {
					d.SetDefaults()
					fv = reflect.ValueOf(d)
				}
				describe(fv.Elem(), key, out)
				continue
			}
		}
		*out = append(*out, FieldInfo{Key: key, Type: typeName(f.Type), Default: defaultText(fv), Doc: f.Tag.Get("doc")})
	}
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

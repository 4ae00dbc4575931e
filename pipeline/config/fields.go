package config

import (
	"reflect"
	"strings"
)

// Field is one config key of a parameter struct: an exported field whose
// `yaml` tag names it.
type Field struct {
	Key    string // the name the tag gives, up to any comma: "learning_rate"
	Index  int    // the field's index in the struct
	Struct reflect.StructField
}

// Fields returns the config keys of the struct type t, in declaration
// order: its exported fields whose `yaml` tag has a name, other than "-".
// Every reader of parameter structs goes through it (Decode, Describe,
// Walk), so they agree on what the keys are.
func Fields(t reflect.Type) []Field {
	out := make([]Field, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, Field{Key: name, Index: i, Struct: f})
	}
	return out
}

// Walk calls fn for every leaf key of the struct v (a struct, or a pointer
// to one), in declaration order, with its dotted path ("init.std") under
// prefix. It walks into nested structs, and pointers to them that are not
// nil, as Decode reads them from nested mappings; everything else is a
// leaf: scalars, lists, maps, nil pointers and pointers to scalars,
// yaml.Node values, and structs without keys.
func Walk(v reflect.Value, prefix string, fn func(key string, f reflect.StructField, v reflect.Value)) {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for _, f := range Fields(v.Type()) {
		key := joinKey(prefix, f.Key)
		fv := v.Field(f.Index)
		if nested(fv) {
			Walk(fv, key, fn)
			continue
		}
		fn(key, f.Struct, fv)
	}
}

// nested reports whether Walk goes into v rather than calling it a leaf:
// a struct with keys of its own.
func nested(v reflect.Value) bool {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Kind() == reflect.Struct && v.Type() != nodeType && len(Fields(v.Type())) > 0
}

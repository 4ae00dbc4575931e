package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The model file is read in steps, so that what encoding/json forgives is refused: its syntax
// (with the line and column of an error), its keys (checkFields: encoding/json matches them in
// any letter case and lets the last of two of a name win, so that a file could score with other
// weights than another JSON reader sees, and it gives a missing key the zero value), and then
// its values' types, by decoding it into the Model.

// checkSyntax reports where b is not JSON, by line and column.
func checkSyntax(b []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	at := int(se.Offset) - 1 // the offending byte, which the offset counts
	if strings.HasPrefix(se.Error(), "unexpected end") {
		at = int(se.Offset) // just past the last byte
	}
	at = max(0, min(at, len(b)))
	line := 1 + bytes.Count(b[:at], []byte("\n"))
	column := 1 + utf8.RuneCount(b[bytes.LastIndexByte(b[:at], '\n')+1:at])
	return fmt.Errorf("line %d, column %d: %w", line, column, err)
}

// objectFields returns the values of the JSON object raw by key, and its keys in order. raw
// must be valid JSON. It refuses a value that is no object and a key that appears twice.
func objectFields(raw []byte) (map[string]json.RawMessage, []string, error) {
	if err := notObject(raw); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the {
		return nil, nil, err
	}
	values := make(map[string]json.RawMessage)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string) // an object's keys are strings
		if _, ok := values[key]; ok {
			return nil, nil, fmt.Errorf("field %q appears twice", shortText(key))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		values[key] = bytes.TrimSpace(v)
		keys = append(keys, key)
	}
	return values, keys, nil
}

// notObject says what the valid JSON value raw is when it is not an object, and is nil for an
// object.
func notObject(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	what := "a number"
	switch {
	case len(raw) == 0:
		what = "nothing"
	case raw[0] == '{':
		return nil
	case raw[0] == '[':
		what = "a list"
	case raw[0] == '"':
		what = "a string"
	case raw[0] == 't' || raw[0] == 'f':
		what = "true or false"
	case raw[0] == 'n':
		what = "null"
	}
	return fmt.Errorf("%s, not an object", what)
}

// checkFields checks the keys of the JSON object raw against the struct type t, whose json tags
// name its fields: every key is the name of one, in the same letter case, and appears once;
// every field not marked omitempty is there; no value is null, nor an item of a list; and the
// objects inside (a struct, a pointer to one, or a list of them) are checked alike. where
// prefixes the messages ("source: "). A value of the wrong type is left to the decoding.
func checkFields(raw json.RawMessage, t reflect.Type, where string) error {
	values, keys, err := objectFields(raw)
	if err != nil {
		return fmt.Errorf("%s%w", where, err)
	}
	var names []string // in t's order
	fields := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
		fields[name] = t.Field(i)
	}
	for _, key := range keys {
		if _, ok := fields[key]; ok {
			continue
		}
		for _, name := range names {
			if strings.EqualFold(key, name) {
				return fmt.Errorf("%sunknown field %q (did you mean %q? field names are case-sensitive)", where, shortText(key), name)
			}
		}
		return fmt.Errorf("%sunknown field %q", where, shortText(key))
	}
	for _, name := range names {
		v, ok := values[name]
		switch {
		case !ok && strings.HasSuffix(fields[name].Tag.Get("json"), ",omitempty"):
			continue
		case !ok:
			return fmt.Errorf("%sfield %q is missing%s", where, name, hintOf(name))
		case string(v) == "null":
			return fmt.Errorf("%sfield %q is null%s", where, name, hintOf(name))
		}
		if err := checkValue(v, fields[name].Type, where, name); err != nil {
			return err
		}
	}
	return nil
}

// hintOf is what a message about the missing or null field name adds.
func hintOf(name string) string {
	if name == "preprocess" {
		return `; a model that takes the features as read has "preprocess": []`
	}
	return ""
}

// checkValue checks the value v of the field name, of type t, as checkFields says: the fields of
// an object, the items of a list.
func checkValue(v json.RawMessage, t reflect.Type, where, name string) error {
	v = bytes.TrimSpace(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && v[0] == '{':
		return checkFields(v, t, where+name+": ")
	case t.Kind() == reflect.Slice && v[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return fmt.Errorf("%sfield %q: %w", where, name, err)
		}
		elem := t.Elem()
		for i, item := range items {
			item = bytes.TrimSpace(item)
			switch {
			case string(item) == "null":
				return fmt.Errorf("%sfield %q: item %d is null", where, name, i+1)
			case elem.Kind() == reflect.Struct && item[0] == '{':
				// "preprocess step 2: ", as Validate names a step
				if err := checkFields(item, elem, fmt.Sprintf("%s%s %s %d: ", where, name, strings.ToLower(elem.Name()), i+1)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// typeError says, for an error of decoding into a Model, which field had a value of what type
// and which type it wants, rather than naming Go's types.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	found := "a " + te.Value
	switch {
	case strings.HasPrefix(te.Value, "number "):
		found = "the " + te.Value
	case te.Value == "array":
		found = "a list"
	case te.Value == "object":
		found = "an object"
	case te.Value == "bool":
		found = "true or false"
	}
	return fmt.Errorf("field %q: found %s, want %s", te.Field, found, wanted(te.Type))
}

// wanted names the JSON values that decode into a t.
func wanted(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	}
	return "an object"
}

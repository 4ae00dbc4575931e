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

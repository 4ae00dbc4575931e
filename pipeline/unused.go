package pipeline

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// usedJSON returns the canonical JSON of p with the parameters it reports
// unused (see Unused) set to their zero values: two settings with equal
// used JSON compute the same outputs.
func usedJSON(p Params, with []byte) ([]byte, error) {
	u, ok := p.(Unused)
	if !ok {
		return with, nil
	}
	keys := u.UnusedKeys()
	if len(keys) == 0 {
		return with, nil
	}
	v := reflect.ValueOf(p)
	c := reflect.New(reflect.Indirect(v).Type()).Elem() // a copy to clear the keys in
	c.Set(reflect.Indirect(v))
	for _, key := range keys {
		if err := zeroKey(c, key); err != nil {
			return nil, fmt.Errorf("unused key %q: %w", key, err)
		}
	}
	return ParamsJSON(c.Addr().Interface().(Params))
}

// zeroKey sets the field at the `yaml` tag path key of the struct v (which
// is addressable) to its zero value, copying any struct it reaches through
// a pointer first.
func zeroKey(v reflect.Value, key string) error {
	head, rest, nested := strings.Cut(key, ".")
	for _, field := range config.Fields(v.Type()) {
		if field.Key != head {
			continue
		}
		f := v.Field(field.Index)
		if !nested {
			f.Set(reflect.Zero(f.Type()))
			return nil
		}
		if f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct {
			if f.IsNil() {
				return nil
			}
			c := reflect.New(f.Type().Elem())
			c.Elem().Set(f.Elem())
			f.Set(c)
			f = c.Elem()
		}
		if f.Kind() != reflect.Struct {
			return fmt.Errorf("%q is not a mapping", head)
		}
		return zeroKey(f, rest)
	}
	return fmt.Errorf("no parameter %q", head)
}

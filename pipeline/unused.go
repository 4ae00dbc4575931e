package pipeline

import (
	"fmt"
	"reflect"
	"strings"
)

// usedJSON returns the canonical JSON of p with the parameters it reports
// unused (see Unused) set to their zero values: two settings with equal
// used JSON compute the same outputs. with is p's canonical JSON.
func (c fieldCache) usedJSON(p Params, with []byte) ([]byte, error) {
	u, ok := p.(Unused)
	if !ok {
		return with, nil
	}
	keys := u.UnusedKeys()
	if len(keys) == 0 {
		return with, nil
	}
	v := reflect.ValueOf(p)
	cp := reflect.New(reflect.Indirect(v).Type()).Elem() // a copy to clear the keys in
	cp.Set(reflect.Indirect(v))
	for _, key := range keys {
		if err := c.zeroKey(cp, key); err != nil {
			return nil, fmt.Errorf("unused key %q: %w", key, err)
		}
	}
	b, _, err := paramsJSON(cp.Addr().Interface().(Params), c)
	return b, err
}

// zeroKey sets the field at the `yaml` tag path key of the struct v (which
// is addressable) to its zero value, copying any struct it reaches through
// a pointer first.
func (c fieldCache) zeroKey(v reflect.Value, key string) error {
	return c.setKey(v, key, func(f reflect.Value) error {
		f.Set(reflect.Zero(f.Type()))
		return nil
	})
}

// setKey calls set with the field at the `yaml` tag path key of the struct
// v (which is addressable), copying any struct it reaches through a pointer
// first.
func (c fieldCache) setKey(v reflect.Value, key string, set func(f reflect.Value) error) error {
	head, rest, nested := strings.Cut(key, ".")
	i, ok := c.fields(v.Type()).byTag[head]
	if !ok {
		return fmt.Errorf("no parameter %q", head)
	}
	f := v.Field(i)
	if !nested {
		return set(f)
	}
	if f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct {
		if f.IsNil() {
			return nil
		}
		cp := reflect.New(f.Type().Elem())
		cp.Elem().Set(f.Elem())
		f.Set(cp)
		f = cp.Elem()
	}
	if f.Kind() != reflect.Struct {
		return fmt.Errorf("%q is not a mapping", head)
	}
	return c.setKey(f, rest, set)
}

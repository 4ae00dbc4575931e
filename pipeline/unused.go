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

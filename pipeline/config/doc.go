// Package config reads an nnpipe experiment file strictly.
//
// The YAML is parsed with go.yaml.in/yaml/v3 into a node tree, so every
// problem can name its line. Parameters are then decoded by walking the tree
// against typed structs (see Decode): unknown keys, keys repeated in any
// letter case, dotted keys, wrong types, fractional integers and nulls are
// errors, each reported with the file, line, stage and key, and all of them
// together rather than one at a time.
//
// The package knows nothing about stage kinds: it hands each stage's `with`
// node to the caller, which decodes it into the kind's parameter struct.
package config

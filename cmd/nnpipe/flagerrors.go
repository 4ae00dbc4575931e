package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError is every command's answer to a flag that does not parse: one
// line naming the flag and what it expects (`--jobs: "abc" is not an
// integer`, `--sort needs a value`), exit 2. pflag's own messages show Go's
// parse errors and the flag's spellings; cobra would also prefix the
// command, which the flag already identifies.
func flagError(c *cobra.Command, err error) error {
	var invalid *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	var unknown *pflag.NotExistError
	switch {
	case errors.As(err, &invalid):
		return invalidFlagValue(invalid)
	case errors.As(err, &missing):
		return usagef("%s needs a value", flagName(missing.GetFlag()))
	case errors.As(err, &unknown) && takesPaths(c) && len(unknown.GetSpecifiedShortnames()) > 1:
		// -dash.yaml: more likely a path than a run of one-letter flags.
		arg := "-" + unknown.GetSpecifiedShortnames()
		return usagef("%s%v (a path that starts with \"-\" goes after --, or as .%c%s)", where(c), err, filepath.Separator, arg)
	}
	return &usageError{fmt.Errorf("%s%w", where(c), err)}
}

// takesPaths reports whether c takes arguments (CONFIG, RUN_DIR, PATH…),
// which a user may name with a leading "-".
func takesPaths(c *cobra.Command) bool {
	return strings.Contains(c.Use, " ")
}

// invalidFlagValue says which flag got a value it cannot take, and what
// it takes instead.
func invalidFlagValue(e *pflag.InvalidValueError) error {
	f := e.GetFlag()
	value := strconv.Quote(e.GetValue())
	want := expectedValue(f.Value.Type())
	switch {
	case errors.Is(e, config.ErrLeadingZero):
		return usagef("%s: %s has a leading zero, which reads as octal to some and as decimal to others; write it without", flagName(f), value)
	case errors.Is(e, strconv.ErrRange):
		return usagef("%s: %s is out of range for %s", flagName(f), value, want)
	case want == "":
		return usagef("%s: %s is not a valid value", flagName(f), value)
	}
	return usagef("%s: %s is not %s", flagName(f), value, want)
}

// expectedValue names what a flag of pflag's type typ takes, or "" for a
// type no command uses.
func expectedValue(typ string) string {
	switch {
	case typ == "bool":
		return "true or false"
	case typ == "duration":
		return "a duration such as 90s, 15m or 1h30m"
	case strings.HasPrefix(typ, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(typ, "int"), typ == "count":
		return "an integer"
	case strings.HasPrefix(typ, "float"):
		return "a number"
	}
	return ""
}

// flagName is how messages spell a flag: --jobs, also for -j.
func flagName(f *pflag.Flag) string {
	return "--" + f.Name
}

// notEmpty refuses an empty value given explicitly to any of the flags
// names of c (--format ""): it would otherwise silently mean the default,
// which is not what was written.
func notEmpty(c *cobra.Command, names ...string) error {
	for _, name := range names {
		if f := c.Flags().Lookup(name); f != nil && f.Changed && f.Value.String() == "" {
			return usagef("%s: must not be empty", flagName(f))
		}
	}
	return nil
}

// decimalFlag is an integer flag read as config.CheckDecimalInteger
// allows, so that it means what it reads as.
type decimalFlag[T int | uint64] struct{ p *T }

func (d decimalFlag[T]) String() string { return fmt.Sprint(*d.p) }

// Type is pflag's name of the type, which the help and messages show.
func (d decimalFlag[T]) Type() string { return fmt.Sprintf("%T", *d.p) }

// Set parses s.
func (d decimalFlag[T]) Set(s string) error {
	var v T
	signed := ^v < 0 // all ones is negative only for a signed type
	if err := config.CheckDecimalInteger(s, signed); err != nil {
		return err
	}
	if signed {
		n, err := strconv.ParseInt(s, 10, strconv.IntSize)
		if err == nil {
			*d.p = T(n)
		}
		return err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		*d.p = T(n)
	}
	return err
}

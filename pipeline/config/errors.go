package config

import (
	"fmt"
	"strings"
)

// Error is one problem found in a config, located as precisely as it can be.
type Error struct {
	File   string // the config file's path as the user gave it
	Line   int    // 1-based line of the offending key or value; 0 when unknown
	Origin string // where the value came from when not the file, e.g. `--set train.hidden=0`
	Trial  string // the sweep trial, as its swept values, when the problem is one trial's
	Stage  string // the stage id, when the problem is inside a stage
	Key    string // the key path within the stage (or top level), e.g. "init.std"
	Msg    string // what is wrong and what was expected
	// Kept is set on a decoding problem that left the value decoded all
	// the same, such as a repeated key (the first is kept): checks of the
	// decoded values still mean something.
	Kept bool
}

// Error formats e as `FILE:LINE: stage "ID": KEY: MSG`, leaving out the
// parts that are unknown, on one line: a file name, trial or key that
// does not print as one line is quoted (see Shown); Origin and Msg must
// quote what they show.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Origin != "":
		b.WriteString(e.Origin)
		b.WriteString(": ")
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", Shown(e.File), e.Line)
	case e.File != "":
		b.WriteString(Shown(e.File))
		b.WriteString(": ")
	}
	if e.Trial != "" {
		fmt.Fprintf(&b, "trial %s: ", Shown(e.Trial))
	}
	if e.Stage != "" {
		fmt.Fprintf(&b, "stage %q: ", e.Stage)
	}
	if e.Key != "" {
		b.WriteString(Shown(e.Key))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config.
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when there are no problems.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

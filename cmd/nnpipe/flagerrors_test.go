package main

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestFlagValuesThatDoNotParseNameTheFlag: every command answers a flag
// value that does not parse, or a flag without its value, with one line
// naming the flag and what it expects, exit 2 — not pflag's message with
// strconv's internals behind a second "nnpipe <command>:" prefix.
func TestFlagValuesThatDoNotParseNameTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		want string // the whole line
	}{
		{[]string{"sweep", smallSweep, "--jobs", "abc"}, `nnpipe: --jobs: "abc" is not an integer`},
		{[]string{"run", bookConfig, "-j", "abc"}, `nnpipe: --jobs: "abc" is not an integer`},
		{[]string{"run", bookConfig, "--jobs="}, `nnpipe: --jobs: "" is not an integer`},
		{[]string{"run", bookConfig, "--jobs", "99999999999999999999"}, `nnpipe: --jobs: "99999999999999999999" is out of range for an integer`},
		{[]string{"validate", bookConfig, "--max-trials", "-1"}, `nnpipe: --max-trials: "-1" is not a non-negative integer`},
		{[]string{"cache", "gc", "--keep-recent", "soon"}, `nnpipe: --keep-recent: "soon" is not a duration such as 90s, 15m or 1h30m`},
		{[]string{"run", bookConfig, "--quiet=maybe"}, `nnpipe: --quiet: "maybe" is not true or false`},
		{[]string{"run", bookConfig, "--jobs", "a\nb"}, `nnpipe: --jobs: "a\nb" is not an integer`},
		{[]string{"compare", "X", "--sort"}, `nnpipe: --sort needs a value`},
		{[]string{"report", "X", "-o"}, `nnpipe: --out needs a value`},
		{[]string{"run", bookConfig, "--set"}, `nnpipe: --set needs a value`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			stdout, stderr, code := nnpipe(t, c.args...)
			lines := stderrLines(stderr)
			if code != exitInvalid || len(lines) != 1 || lines[0] != c.want || stdout != "" {
				t.Errorf("nnpipe %q: exit %d, stdout %q, stderr %q; want exit %d and only %q", c.args, code, stdout, stderr, exitInvalid, c.want)
			}
		})
	}
}

// TestFlagErrorsCoverEveryValueType gives a command under nnpipe's root
// the types of flag no command has yet: a new flag gets a clean message
// too.
func TestFlagErrorsCoverEveryValueType(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--f", "x"}, `--f: "x" is not a number`},
		{[]string{"--f32", "1e99"}, `--f32: "1e99" is out of range for a number`},
		{[]string{"--i64", "1.5"}, `--i64: "1.5" is not an integer`},
		{[]string{"--u", "-3"}, `--u: "-3" is not a non-negative integer`},
		{[]string{"--d", "5"}, `--d: "5" is not a duration such as 90s, 15m or 1h30m`},
		{[]string{"--b=2"}, `--b: "2" is not true or false`},
		{[]string{"--ip", "x"}, `--ip: "x" is not a valid value`},
		{[]string{"--f"}, `--f needs a value`},
		{[]string{"-d"}, `--d needs a value`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }, SilenceErrors: true, SilenceUsage: true}
			fl := cmd.Flags()
			fl.Float64("f", 0, "")
			fl.Float32("f32", 0, "")
			fl.Int64("i64", 0, "")
			fl.Uint("u", 0, "")
			fl.DurationP("d", "d", time.Second, "")
			fl.Bool("b", false, "")
			fl.IP("ip", nil, "")
			root := newRoot(&env{stdout: io.Discard, stderr: io.Discard})
			root.AddCommand(cmd)
			root.SetArgs(append([]string{"x"}, c.args...))
			err := root.Execute()
			var usage *usageError
			if !errors.As(err, &usage) || err.Error() != c.want {
				t.Errorf("%q: got %v (%T), want the usage error %q", c.args, err, err, c.want)
			}
		})
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/pipeline/logline"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/spf13/cobra"
)

// Version is nnpipe's version, recorded in manifests and Parquet metadata.
const Version = "0.1.0"

// Exit statuses: 0 success, 1 any other failure, 2 invalid input (nothing
// was run, or the failing stage wrote nothing), 130 interrupted.
const (
	exitOK          = 0
	exitFailure     = 1
	exitInvalid     = 2
	exitInterrupted = 130
)

// usageError marks a problem with the command line itself: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// interruptedError reports what had finished when an interrupt stopped
// the work.
type interruptedError struct {
	finished string
	err      error
}

func (e *interruptedError) Error() string { return "interrupted: " + e.finished }
func (e *interruptedError) Unwrap() error { return e.err }

// env is what every command gets: where to write, and the registry.
type env struct {
	stdout, stderr io.Writer
	registry       *pipeline.Registry
	log            *slog.Logger
}

// Main runs nnpipe with args (without the program name) and returns the
// exit status. Results go to stdout, messages to stderr. An interrupt
// (SIGINT, SIGTERM, or SIGHUP when the terminal goes away) cancels the work,
// removes the temporary folders and gives 130; a second one ends the
// process at once.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptContext(ctx)
	defer stop()
	e := &env{stdout: stdout, stderr: stderr, registry: stages.Builtin(), log: logline.New(stderr, slog.LevelInfo)}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return exitStatus(stderr, err, ctx)
}

// interruptContext returns a context that the first SIGINT, SIGTERM or
// SIGHUP cancels, its cause naming the signal. Once it is cancelled, the
// signals have their default action again, so that a second interrupt ends
// the process at once: what does not stop at the first (a gc deleting a
// large cache, a read from a hung network mount) can be ended like any
// process, and a kill leaves nothing half-written. SIGHUP stays ignored
// when the process was started with it ignored (nohup, a shell's trap
// ignoring HUP): whoever started it asked that it outlive the terminal.
// SIGINT is taken even then, as a shell ignores it for every background
// job of a script, which the script may still mean to interrupt with
// kill -INT. stop releases the signals.
func interruptContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	taken := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		taken = append(taken, syscall.SIGHUP)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, taken...)
	go func() {
		var cause error
		select {
		case s := <-sigs:
			cause = errors.New(s.String())
		case <-ctx.Done():
		}
		// Released before the context ends: whoever sees it done may rely
		// on the next interrupt ending the process.
		signal.Stop(sigs)
		cancel(cause)
	}()
	return ctx, func() { cancel(nil) }
}

// exitStatus prints err, one line per problem, and picks the exit status.
func exitStatus(stderr io.Writer, err error, ctx context.Context) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var cerrs config.Errors
	var usage *usageError
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		var intr *interruptedError
		if errors.As(err, &intr) {
			fmt.Fprintf(stderr, "nnpipe: interrupted: %s\n", intr.finished)
		} else {
			fmt.Fprintln(stderr, "nnpipe: interrupted")
		}
		return exitInterrupted
	case errors.As(err, &cerrs), errors.As(err, &usage), pipeline.IsInvalid(err):
		code = exitInvalid
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "nnpipe: %s\n", line)
	}
	return code
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "nnpipe",
		Short:         "Run neural-network experiments as a cached, configuration-driven pipeline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --version is nnpipe's own rather than cobra's, which prints the
	// version whatever else the command line holds (nnpipe --version frob).
	var showVersion bool
	root.Flags().BoolVarP(&showVersion, "version", "v", false, "version for nnpipe")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(e), newSweepCmd(e), newValidateCmd(e), newStagesCmd(e), newCacheCmd(e), newShowCmd(e), newCompareCmd(e), newPlanCmd(e), newReportCmd(e))
	root.AddCommand(newPredictCmd(e), newExportCmd(e))
	root.SetHelpCommand(newHelpCmd())
	root.SetOut(e.stdout) // before the completion command takes its writer
	root.SetErr(e.stderr)
	root.InitDefaultCompletionCmd()
	strictArgs(root)
	refuse := root.RunE
	root.RunE = func(c *cobra.Command, args []string) error {
		if !showVersion {
			return refuse(c, args)
		}
		if len(args) > 0 {
			return usagef("--version takes no arguments, got %s", config.Shown(strings.Join(args, " ")))
		}
		fmt.Fprintf(e.stdout, "nnpipe version %s\n", Version)
		return nil
	}
	return root
}

// strictArgs makes every command refuse, with exit status 2, what it
// cannot run: a missing or unknown subcommand, and arguments a command
// does not take (cobra otherwise prints help and succeeds, or exits 1).
func strictArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictArgs(sub)
	}
	switch {
	case c.HasSubCommands() && !c.Runnable():
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error { return unknownCommand(c, args) }
	case c.Args == nil:
		c.Args = exactArgs(0)
	default:
		check := c.Args
		c.Args = func(c *cobra.Command, args []string) error {
			err := check(c, args)
			var usage *usageError
			if err == nil || errors.As(err, &usage) {
				return err
			}
			if strings.Contains(err.Error(), c.CommandPath()) {
				return &usageError{err}
			}
			return &usageError{fmt.Errorf("%s%w", where(c), err)}
		}
	}
}

// unknownCommand is the error of a command that needs a subcommand.
func unknownCommand(c *cobra.Command, args []string) error {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && sub.Name() != "help" {
			names = append(names, sub.Name())
		}
	}
	list := strings.Join(names, ", ")
	if len(args) == 0 {
		return usagef("%sexpected a command: %s (see %s --help)", where(c), list, c.CommandPath())
	}
	hint := ""
	c.SuggestionsMinimumDistance = 2
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usagef("%sunknown command %q%s; the commands are %s", where(c), args[0], hint, list)
}

// where prefixes a command's messages: "nnpipe cache: ", and nothing for
// nnpipe itself, whose messages already start with "nnpipe: ".
func where(c *cobra.Command) string {
	if !c.HasParent() {
		return ""
	}
	return c.CommandPath() + ": "
}

// newHelpCmd is `nnpipe help [command]`, which refuses an unknown command
// (cobra's prints the usage and succeeds).
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("%sunknown command %q (see %s --help)", where(c), strings.Join(args, " "), c.Root().CommandPath())
			}
			return target.Help()
		},
	}
}

// exactArgs is cobra.ExactArgs with an exit status of 2 and a message
// that names what is expected.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			want := "no arguments"
			if n > 0 {
				want = strings.TrimPrefix(c.Use, c.Name()+" ")
			}
			return usagef("%s: expected %s, got %s (see %s --help)", c.CommandPath(), want, report.Plural(len(args), "argument", "arguments"), c.CommandPath())
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs with an exit status of 2.
func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s: expected %s (see %s --help)", c.CommandPath(), strings.TrimPrefix(c.Use, c.Name()+" "), c.CommandPath())
		}
		return nil
	}
}

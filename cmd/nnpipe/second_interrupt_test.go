//go:build linux

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestASecondInterruptEndsTheProcess: the first SIGINT cancels the work;
// when the process does not end for it, a second one ends it, by the
// signal's default action. The child never ends on its own: its input is
// held open until the test ends.
func TestASecondInterruptEndsTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	c := exec.Command(os.Args[0], "-test.run=^$")
	checkSecondInterrupt(t, c, syscall.SIGINT)
}

// TestASignalIgnoredAtStartStaysIgnored: a process started with SIGHUP
// ignored (nohup, a shell's trap ignoring HUP) goes on when the terminal closes;
// only the signals it was left to take interrupt it. Before, nnpipe caught
// SIGHUP whatever it inherited, and a nohup'd sweep stopped at the hangup.
func TestASignalIgnoredAtStartStaysIgnored(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	c := exec.Command("/bin/sh", "-c", `trap '' HUP; exec "$0" -test.run='^$'`, os.Args[0])
	checkSecondInterrupt(t, c, syscall.SIGHUP)
}

// checkSecondInterrupt runs c, the test binary as interruptChild, and sends
// it first (a signal it ignores, when it is not SIGINT) and then two
// SIGINTs: the first must cancel it, the second end it.
func checkSecondInterrupt(t *testing.T, c *exec.Cmd, first syscall.Signal) {
	t.Helper()
	c.Env = append(os.Environ(), interruptChildEnv+"=1")
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			c.Process.Kill()
			t.Fatalf("child said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("ready")
	if first != syscall.SIGINT {
		// Ignored, it is discarded when sent: the SIGINT after it is the
		// first the child sees.
		if err := c.Process.Signal(first); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	expect("cancelled by interrupt")
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = c.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child ended with %v, want the end of a SIGINT", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("child ended with %v, want the end of a SIGINT", err)
	}
}

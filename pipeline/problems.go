package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// TrialProblem is why a trial of a sweep did not run or failed, for a
// report of many trials.
type TrialProblem struct {
	TrialID, Label string
	What           string // "did not run", "failed" or "diverged"
	Msg            string
	// Invalid reports that the user's input caused it (IsInvalid).
	Invalid bool
	group   string // problems of the same group are reported as one
}

// NotRun is the problem of trial t, which could not run (or whose results
// could not be kept) for err: a cache or disk that failed it. A rerun runs
// it.
func NotRun(t *Trial, err error) TrialProblem {
	return TrialProblem{TrialID: t.ID, Label: t.Label(), What: "did not run", Msg: err.Error(),
		group: "did not run\x00" + problemKey(err), Invalid: IsInvalid(err)}
}

// Failed is the problem of trial t whose stage failed with err, as the
// cache records it.
func Failed(t *Trial, err error) TrialProblem {
	s := StatusOf(err)
	return TrialProblem{TrialID: t.ID, Label: t.Label(), What: s, Msg: err.Error(), group: s + "\x00" + problemKey(err), Invalid: IsInvalid(err)}
}

// RecordedFailure is the problem of trial t whose failure the cache
// records with status and message msg (Failure.Message).
func RecordedFailure(t *Trial, status, msg string) TrialProblem {
	return TrialProblem{TrialID: t.ID, Label: t.Label(), What: status, Msg: msg, group: status + "\x00" + keyLike.ReplaceAllString(msg, "…")}
}

// keyLike matches cache keys and their 12-digit short forms.
var keyLike = regexp.MustCompile(`\b[0-9a-f]{12,64}\b`)

// problemKey is err's message less what differs between trials that hit
// the same problem: the paths of file-system errors and cache keys.
func problemKey(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Error(), pe.Op+": "+pe.Err.Error(), 1)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		msg = strings.Replace(msg, le.Error(), le.Op+": "+le.Err.Error(), 1)
	}
	return keyLike.ReplaceAllString(msg, "…")
}

// MaxProblemLines bounds the lines ReportProblems gives to problems; the
// rest are counted.
const MaxProblemLines = 10

// ReportProblems is the error of a sweep or shard whose trials had
// problems, nil when there are none: one line per distinct problem —
// trials that hit the same one differ only in paths and cache keys —
// naming the first trial that had it and how many others did (at most
// MaxProblemLines, the rest counted), then the line last. It is invalid
// input when every trial that did not run was refused for the user's
// input and cause, the reason the sweep could not be assembled (nil if it
// was), is too; otherwise not.
func ReportProblems(notRun, failed []TrialProblem, last string, cause error) error {
	if len(notRun)+len(failed) == 0 {
		return nil
	}
	lines := problemLines(append(append([]TrialProblem(nil), notRun...), failed...))
	err := errors.New(strings.Join(append(lines, last), "\n"))
	invalid := len(notRun) > 0 && (cause == nil || IsInvalid(cause))
	for _, p := range notRun {
		invalid = invalid && p.Invalid
	}
	if invalid {
		return Invalid(err)
	}
	return err
}

// problemLines reports problems one line per distinct problem, naming
// the first trial that had it and how many others did, at most
// MaxProblemLines lines.
func problemLines(problems []TrialProblem) []string {
	type group struct {
		first TrialProblem
		n     int
	}
	groups := map[string]*group{}
	var order []string
	for _, p := range problems {
		g, ok := groups[p.group]
		if !ok {
			g = &group{first: p}
			groups[p.group] = g
			order = append(order, p.group)
		}
		g.n++
	}
	var lines []string
	for i, k := range order {
		if i == MaxProblemLines {
			rest := 0
			for _, k := range order[i:] {
				rest += groups[k].n
			}
			lines = append(lines, fmt.Sprintf("and %d more problems of %s", len(order)-i, countOf(rest, "trial", "trials")))
			break
		}
		g := groups[k]
		who := fmt.Sprintf("trial %s (%s)", g.first.TrialID, g.first.Label)
		if g.n > 1 {
			who += " and " + countOf(g.n-1, "other trial", "other trials")
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", who, g.first.What, oneLine(g.first.Msg)))
	}
	return lines
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// ProblemCounts says how many of total trials did not run and failed:
// "3 of 100 trials did not run; 2 trials of 100 failed".
func ProblemCounts(notRun, failed, total int) string {
	var parts []string
	if notRun > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s did not run", notRun, countOf(total, "trial", "trials")))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%s of %d failed", countOf(failed, "trial", "trials"), total))
	}
	return strings.Join(parts, "; ")
}

// countOf is n with the noun that fits it: "1 trial", "2 trials".
func countOf(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Message is the error Engine.Run returned for the failure f records:
// `stage "train": diverged at step 3: …`.
func (f *Failure) Message() string { return fmt.Sprintf("stage %q: %s", f.Stage, f.Error) }

// RecordsFailure reports whether err, the error eng.Run returned for
// trial t, is the failure the cache records for t: a trial that ran and
// failed, which a collected sweep lists as failed. Any other error left
// the trial not run.
func (e *Engine) RecordsFailure(t *Trial, err error) bool {
	_, status, f, perr := e.Probe(t.Chain)
	return perr == nil && status == ProbeFailed && err != nil && f.Message() == err.Error()
}

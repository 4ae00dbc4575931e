package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func testTrial(i int) *Trial {
	return &Trial{ID: fmt.Sprintf("%012x", i), Values: []AxisValue{{Key: "train.hidden", Value: fmt.Sprint(i)}}}
}

func TestReportProblemsGivesOneLinePerDistinctProblem(t *testing.T) {
	var notRun []TrialProblem
	for i := range 100 {
		// The same problem, in each trial's own folder and entry.
		err := fmt.Errorf("stage %q: cache: %w", "data", &fs.PathError{Op: "mkdir", Path: fmt.Sprintf("/c/tmp/build-%d", i), Err: errors.New("read-only file system")})
		notRun = append(notRun, NotRun(testTrial(i), err))
	}
	failed := []TrialProblem{RecordedFailure(testTrial(100), StatusDiverged, "stage \"train\": diverged at step 3\nmore")}
	err := ReportProblems(notRun, failed, "sweep.yaml: "+ProblemCounts(100, 1, 101), nil)
	want := []string{
		`trial 000000000000 (train.hidden=0) and 99 other trials did not run: stage "data": cache: mkdir /c/tmp/build-0: read-only file system`,
		`trial 000000000064 (train.hidden=100) diverged: stage "train": diverged at step 3; more`,
		`sweep.yaml: 100 of 101 trials did not run; 1 trial of 101 failed`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ReportProblems =\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if IsInvalid(err) {
		t.Error("a cache that failed the trials is not the user's input: want exit 1")
	}
	if ReportProblems(nil, nil, "x", nil) != nil {
		t.Error("ReportProblems of no problem is not nil")
	}
}

func TestReportProblemsCountsWhatItDoesNotList(t *testing.T) {
	var failed []TrialProblem
	for i := range 15 {
		failed = append(failed, RecordedFailure(testTrial(i), StatusFailed, fmt.Sprintf("problem %d", i)))
	}
	lines := strings.Split(ReportProblems(nil, failed, "last", nil).Error(), "\n")
	if len(lines) != MaxProblemLines+2 || lines[MaxProblemLines] != "and 5 more problems of 5 trials" {
		t.Errorf("15 distinct problems gave %d lines, the 11th %q; want %d lines and a count of the other 5", len(lines), lines[min(MaxProblemLines, len(lines)-1)], MaxProblemLines+2)
	}
}

func TestReportProblemsIsInvalidInputOnlyWhenEveryTrialWasRefusedForIt(t *testing.T) {
	bad := Invalid(errors.New("data.csv: no such file"))
	refused := []TrialProblem{NotRun(testTrial(1), bad), NotRun(testTrial(2), bad)}
	if err := ReportProblems(refused, nil, "x", nil); !IsInvalid(err) {
		t.Errorf("every trial refused for its input: %v, want invalid input", err)
	}
	mixed := append(refused, NotRun(testTrial(3), errors.New("disk full")))
	if err := ReportProblems(mixed, nil, "x", nil); IsInvalid(err) {
		t.Errorf("a trial that failed for the disk too: %v, want no invalid input", err)
	}
	if err := ReportProblems(refused, nil, "x", errors.New("write summary: disk full")); IsInvalid(err) {
		t.Errorf("a sweep that could not be written: %v, want no invalid input", err)
	}
}

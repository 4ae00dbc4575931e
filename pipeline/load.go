package pipeline

import (
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// ParseOverrides parses the --set values sets (config.ParseOverride),
// reporting every one that does not parse.
func ParseOverrides(sets []string) ([]*config.Override, error) {
	var out []*config.Override
	var errs config.Errors
	for _, s := range sets {
		o, err := config.ParseOverride(s)
		if err != nil {
			errs = append(errs, &config.Error{Msg: err.Error()})
			continue
		}
		out = append(out, o)
	}
	return out, errs.Err()
}

// Load reads the config at path with the overrides sets, and compiles
// it against reg, for a single run. The problems of the file and of its
// stages are reported together, as config.Errors ordered by line (those
// without one last); the file is returned when it could be read at all.
// A run leaves the config's sweep grid aside, so a set of a sweep axis
// (sweep.KEY), which it would silently ignore, is refused.
func Load(path string, sets []string, reg *Registry) (*config.File, *Chain, error) {
	overrides, err := ParseOverrides(sets)
	if err != nil {
		return nil, nil, err
	}
	var ignored config.Errors
	for _, o := range overrides {
		if strings.HasPrefix(o.Key, "sweep.") {
			ignored = append(ignored, &config.Error{Msg: o.Origin + ": a single run leaves the sweep grid aside; give it to nnpipe sweep, or set " +
				strings.TrimPrefix(o.Key, "sweep.") + " to one value"})
		}
	}
	if len(ignored) > 0 {
		return nil, nil, ignored
	}
	f, loadErr := config.Load(path, overrides)
	if f == nil {
		return nil, nil, loadErr
	}
	// Compile even when the file has problems, so that every problem of
	// the stages is reported together with those of the top level.
	p, err := Compile(f, reg)
	var errs config.Errors
	errors.As(loadErr, &errs)
	if cerrs := (config.Errors{}); errors.As(err, &cerrs) {
		errs = append(errs, cerrs...)
	} else if err != nil {
		return f, nil, err
	}
	if len(errs) > 0 {
		sortByLine(errs)
		return f, nil, errs
	}
	return f, p, nil
}

// sortByLine orders problems by line (those without one last), keeping
// the order of problems on the same line.
func sortByLine(errs config.Errors) {
	slices.SortStableFunc(errs, func(a, b *config.Error) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return la - lb
	})
}

// LoadGrid is Load for a command that runs a config's sweep grid, when it
// has one (validate and plan judge such a config as sweep runs it): when
// the file parses but its stages do not compile alone, every problem
// being at a key an axis sets (a data path given by an axis alone),
// LoadGrid returns the file, no chain and no error, leaving the trials to
// be judged by Expand; problems at other keys are returned, as `run`
// reports them, without those. Any other problem is Load's.
func LoadGrid(path string, sets []string, reg *Registry) (*config.File, *Chain, error) {
	overrides, err := ParseOverrides(sets)
	if err != nil {
		return nil, nil, err
	}
	f, err := config.Load(path, overrides)
	if err != nil || len(f.Sweep) == 0 {
		return Load(path, sets, reg)
	}
	p, err := Compile(f, reg)
	var errs config.Errors
	if err == nil || !errors.As(err, &errs) {
		return f, p, err
	}
	// The problems at keys an axis sets are the trials' to judge; the
	// others are the config's, reported as run reports them.
	var own config.Errors
	for _, e := range errs {
		if !onAxis(f, e) {
			own = append(own, e)
		}
	}
	if len(own) == 0 {
		return f, nil, nil
	}
	return f, nil, own
}

// onAxis reports whether e is at a key f's sweep grid sets (stage.key, or
// below it): what the trials may set right.
func onAxis(f *config.File, e *config.Error) bool {
	key := e.Stage + "." + e.Key
	return e.Stage != "" && e.Key != "" && slices.ContainsFunc(f.Sweep, func(a *config.Axis) bool {
		return a.Key == key || strings.HasPrefix(key, a.Key+".")
	})
}

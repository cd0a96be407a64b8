package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
)

// Contains reports whether t lies in the phase. Both ends are inclusive:
// a sample that starts at the very moment of a revert still saw the fault.
func (p Phase) Contains(t time.Duration) bool { return t >= p.From && t <= p.To }

// Length is the phase's duration (0 for an empty or inverted phase).
func (p Phase) Length() time.Duration {
	if p.To < p.From {
		return 0
	}
	return p.To - p.From
}

// InWindow returns the sub-slice of samples (sorted by Start) whose Start
// lies in w. It does not copy and costs two binary searches.
func InWindow(samples []measure.Sample, w Phase) []measure.Sample {
	lo := sort.Search(len(samples), func(i int) bool { return samples[i].Start >= w.From })
	hi := sort.Search(len(samples), func(i int) bool { return samples[i].Start > w.To })
	if hi < lo {
		return nil
	}
	return samples[lo:hi]
}

// WholeRun is the window of an assertion that names none.
func (tl Timeline) WholeRun() Phase { return Phase{From: tl.MethodStart, To: tl.End} }

// window is a resolved assertion window. Anchor is the moment `after`
// names (or the window's start); label is the suffix of the verdict name.
type window struct {
	Phase
	Anchor time.Duration
	Label  string
}

// resolveWindow turns during/after into a window:
//   - during: STEP    [inject done, revert begun], or [inject done, End] if never reverted
//   - after: STEP     anchored at the inject, window [inject, End]
//   - after: STEP.end anchored at the revert, window [revert, End]
//   - neither         the whole run [MethodStart, End]
//
// The error text is the verdict's Detail ("step X never ran").
func resolveWindow(exp *experiments.Experiment, tl Timeline, during, after string) (window, error) {
	switch {
	case during != "":
		st, err := stepTimes(tl, during)
		if err != nil {
			return window{Label: "during " + during}, err
		}
		to := tl.End
		if st.Reverted {
			to = st.Revert
		}
		from := st.Inject
		if st.InjectDone > from {
			from = st.InjectDone
		}
		return window{Phase: Phase{From: from, To: to}, Anchor: from, Label: "during " + during}, nil
	case after != "":
		name, atEnd := splitAfter(exp, after)
		st, err := stepTimes(tl, name)
		if err != nil {
			return window{Label: "after " + after}, err
		}
		at := st.Inject
		if atEnd {
			if !st.Reverted {
				return window{Label: "after " + after}, fmt.Errorf("step %s was never reverted", name)
			}
			at = st.Revert
		}
		return window{Phase: Phase{From: at, To: tl.End}, Anchor: at, Label: "after " + after}, nil
	}
	w := tl.WholeRun()
	return window{Phase: w, Anchor: w.From}, nil
}

// splitAfter separates "STEP.end" from "STEP". A step whose own name ends
// in ".end" is matched by its full name first.
func splitAfter(exp *experiments.Experiment, after string) (step string, atEnd bool) {
	if exp != nil {
		for _, s := range exp.Steps {
			if s != nil && s.Name == after {
				return after, false
			}
		}
	}
	if name, ok := strings.CutSuffix(after, ".end"); ok {
		return name, true
	}
	return after, false
}

func stepTimes(tl Timeline, name string) (StepTimes, error) {
	st, ok := tl.Steps[name]
	if !ok || !st.Injected {
		return st, fmt.Errorf("step %s never ran", name)
	}
	return st, nil
}

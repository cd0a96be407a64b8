package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline/faultline/experiments"
)

// KindEntered counts the times a probe's value entered a condition.
const KindEntered = "entered"

// entered: the number of times, in the window, that an ok sample's value
// met the condition while the ok sample before it (in or before the
// window) did not; failed samples (probe target unreachable) neither
// count nor break a run. Measured = that number, bounded by times.
// A host powered off exactly once: {entered: "== 0", times: "== 1"}.
func entered(v Verdict, tl Timeline, a experiments.Verify, w window) Verdict {
	cond, err := experiments.ParseComparison(a.Entered)
	if err != nil {
		v.Measured, v.Detail = unmeasured, fmt.Sprintf("entered: %v", err)
		return v
	}
	times, err := experiments.ParseComparison(a.Times)
	if err != nil {
		v.Measured, v.Detail = unmeasured, fmt.Sprintf("times: %v", err)
		return v
	}
	samples := tl.Samples[a.Probe]
	first := sort.Search(len(samples), func(i int) bool { return samples[i].Start >= w.From })
	was := false // the last ok sample before the window met the condition
	for i := first - 1; i >= 0; i-- {
		if samples[i].OK {
			was = cond.Holds(samples[i].Value)
			break
		}
	}
	in := InWindow(samples, w.Phase)
	var at []string
	seen := 0
	for _, s := range in {
		if !s.OK {
			continue
		}
		seen++
		now := cond.Holds(s.Value)
		if now && !was {
			at = append(at, seconds(s.Start))
		}
		was = now
	}
	if seen == 0 {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	n := len(at)
	v.Value, v.Measured = float64(n), fmt.Sprint(n)
	v.Passed = times.Holds(float64(n))
	if len(at) > 0 {
		v.Detail = "entered at " + strings.Join(at, ", ")
	}
	if !v.Passed && n == 0 {
		v.Detail = fmt.Sprintf("never entered %s in %d ok samples", strings.TrimSpace(a.Entered), seen)
	}
	return v
}

package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
)

// steadyVerdict: the probe was ok continuously for ss.For within the
// phase, measured as LongestOKRun measures it (first to last ok sample's
// Start, in whole sampling intervals: SteadyHeld), so the phase must hold
// a sample at each end of the span.
func steadyVerdict(exp *experiments.Experiment, ss experiments.SteadyState, when string, phase Phase, tl Timeline) Verdict {
	v := Verdict{
		Name:   fmt.Sprintf("steady state %s: %s ok for %s", when, ss.Probe, ss.For),
		Kind:   KindSteadyState,
		Probe:  ss.Probe,
		Bound:  "ok for " + ss.For.String(),
		Window: phase,
		Line:   ss.Line,
	}
	if phase == (Phase{}) {
		v.Measured, v.Detail = unmeasured, "the steady state "+when+" the method was not checked"
		return v
	}
	samples := tl.Samples[ss.Probe]
	if len(InWindow(samples, phase)) == 0 {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	span, n := LongestOKRun(samples, phase)
	v.Value, v.Measured = span.Length().Seconds(), seconds(span.Length())
	v.Passed = SteadyHeld(span, n, ProbeInterval(exp, ss.Probe), ss.For.D())
	switch {
	case n == 0:
		v.Detail = "no ok sample"
	case !v.Passed:
		v.Detail = fmt.Sprintf("longest ok run %s (%d samples, from %s); needs %s",
			seconds(span.Length()), n, seconds(span.From), ss.For)
	}
	return v
}

// availability = ok samples / samples in the window, in percent.
func availability(v Verdict, tl Timeline, a experiments.Verify, w window) Verdict {
	bound, err := a.AvailabilityBound()
	if err != nil {
		v.Measured, v.Detail = unmeasured, err.Error()
		return v
	}
	in := InWindow(tl.Samples[a.Probe], w.Phase)
	if len(in) == 0 {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	ok := 0
	for i := range in {
		if in[i].OK {
			ok++
		}
	}
	// ok*100 is exact, so "exactly at the bound" compares equal.
	v.Value = float64(ok) * 100 / float64(len(in))
	v.Measured = percentText(v.Value, bound, true)
	v.Passed = bound.Holds(v.Value)
	v.Detail = fmt.Sprintf("%d of %d samples ok", ok, len(in))
	return v
}

// maxOutage: the longest of Outages, passing when <= the bound.
func maxOutage(v Verdict, tl Timeline, a experiments.Verify, w window) Verdict {
	samples := tl.Samples[a.Probe]
	if len(InWindow(samples, w.Phase)) == 0 {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	longest, any := longestOutage(Outages(samples, w.Phase))
	v.Value, v.Measured = longest.Duration().Seconds(), seconds(longest.Duration())
	v.Passed = longest.Duration() <= a.MaxOutage.D()
	if any {
		v.Detail = fmt.Sprintf("longest outage from %s to %s (%d failed samples)",
			seconds(longest.From), seconds(longest.To), longest.Samples)
		if longest.Open {
			v.Detail += ", still failing at the window's end"
		}
	}
	return v
}

func reachesBound(a experiments.Verify) string {
	b := strings.TrimSpace(a.Reaches)
	if a.Within != nil {
		b += " within " + a.Within.String()
	}
	return b
}

// reaches: the first sample at or after the anchor that is ok (or whose
// value compares true) must start no later than anchor+within. Without
// `within` the deadline is the window's end. The measured value is the
// time from the anchor to that sample's Start, also when it came too late.
func reaches(v Verdict, tl Timeline, a experiments.Verify, w window) Verdict {
	target := strings.TrimSpace(a.Reaches)
	match := func(s measure.Sample) bool { return s.OK }
	if target != "ok" {
		bound, err := a.ReachesBound()
		if err != nil {
			v.Measured, v.Detail = unmeasured, err.Error()
			return v
		}
		match = func(s measure.Sample) bool { return bound.Holds(s.Value) }
	}
	deadline := w.To
	if a.Within != nil {
		deadline = w.Anchor + a.Within.D()
	}
	v.Window = Phase{From: w.Anchor, To: deadline}
	samples := tl.Samples[a.Probe]
	first := sort.Search(len(samples), func(i int) bool { return samples[i].Start >= w.Anchor })
	var last *measure.Sample // the last sample seen by the deadline
	for i := first; i < len(samples); i++ {
		s := &samples[i]
		if s.Start <= deadline {
			last = s
		}
		if !match(*s) {
			continue
		}
		took := s.Start - w.Anchor
		v.Value, v.Measured = took.Seconds(), seconds(took)
		v.Passed = s.Start <= deadline
		if !v.Passed {
			v.Detail = fmt.Sprintf("reached after %s, later than %s", seconds(took), seconds(deadline-w.Anchor))
		}
		return v
	}
	if last == nil {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	seen := samples[len(samples)-1].Start - w.Anchor
	v.Value, v.Measured = seen.Seconds(), "> "+seconds(seen)
	v.Detail = fmt.Sprintf("not reached within %s (%s)", seconds(deadline-w.Anchor), lastText(*last))
	return v
}

func lastText(s measure.Sample) string {
	t := "last value " + valueText(s.Value)
	if !s.OK {
		t += ", failed"
		if s.Detail != "" {
			t += ": " + s.Detail
		}
	}
	return t
}

// never: passes when no sample in the window is ok; measured = ok count.
func never(v Verdict, tl Timeline, a experiments.Verify, w window) Verdict {
	if strings.TrimSpace(a.Never) != "ok" {
		v.Measured, v.Detail = unmeasured, fmt.Sprintf("never: %q is not supported (want ok)", a.Never)
		return v
	}
	in := InWindow(tl.Samples[a.Probe], w.Phase)
	if len(in) == 0 {
		v.Measured, v.Detail = unmeasured, DetailNoSamples
		return v
	}
	ok := 0
	var firstOK time.Duration
	for i := range in {
		if in[i].OK {
			if ok == 0 {
				firstOK = in[i].Start
			}
			ok++
		}
	}
	v.Value, v.Measured = float64(ok), fmt.Sprint(ok)
	v.Passed = ok == 0
	if !v.Passed {
		v.Detail = fmt.Sprintf("%d of %d samples ok, the first at %s", ok, len(in), seconds(firstOK))
	}
	return v
}

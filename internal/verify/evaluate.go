package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
)

// Kinds of verdict.
const (
	KindSteadyState  = "steadyState"
	KindAvailability = "availability"
	KindMaxOutage    = "maxOutage"
	KindReaches      = "reaches"
	KindLatency      = "latency"
	KindNever        = "never"
)

// Detail texts shared with reports.
const (
	DetailNoSamples = "no samples in window"
	unmeasured      = "n/a"
)

// Evaluate judges every assertion of exp over tl, in this order: the
// steadyState entries over tl.SteadyBefore, the verify entries in file
// order (a latency entry gives one verdict per percentile key, lowest
// first), then the steadyState entries over tl.SteadyAfter. It is a pure
// function: a run and a later report of its journal get the same verdicts.
// Names are unique; a repeated name gets " #2", " #3". Windows are
// closed intervals (see resolveWindow); `after: STEP` on anything but
// reaches judges [that moment, End].
func Evaluate(exp *experiments.Experiment, tl Timeline) []Verdict {
	if exp == nil {
		return nil
	}
	out := make([]Verdict, 0, 2*len(exp.SteadyState)+len(exp.Verify))
	for _, ss := range exp.SteadyState {
		out = append(out, steadyVerdict(exp, ss, "before", tl.SteadyBefore, tl))
	}
	buf := latencyBuffers.Get().(*latencyBuffer)
	for _, v := range exp.Verify {
		out = append(out, verifyVerdicts(exp, tl, v, buf)...)
	}
	latencyBuffers.Put(buf)
	for _, ss := range exp.SteadyState {
		out = append(out, steadyVerdict(exp, ss, "after", tl.SteadyAfter, tl))
	}
	uniqueNames(out)
	return out
}

// ProbeInterval is how often exp samples the named probe (0 if it has no
// such probe).
func ProbeInterval(exp *experiments.Experiment, probe string) time.Duration {
	if p := exp.Probes[probe]; p != nil {
		return p.Interval()
	}
	return 0
}

// verifyVerdicts dispatches one verify entry on the assertion it sets.
func verifyVerdicts(exp *experiments.Experiment, tl Timeline, v experiments.Verify, buf *latencyBuffer) []Verdict {
	base := Verdict{Probe: v.Probe, Line: v.Line}
	w, werr := resolveWindow(exp, tl, v.During, v.After)
	base.Window = w.Phase
	switch {
	case v.Availability != "":
		base.Kind, base.Bound = KindAvailability, strings.TrimSpace(v.Availability)
		base.Name = join(v.Probe, "availability", w.Label)
		return []Verdict{orFail(base, werr, func() Verdict { return availability(base, tl, v, w) })}
	case v.MaxOutage != nil:
		base.Kind, base.Bound = KindMaxOutage, v.MaxOutage.String()
		base.Name = join(v.Probe, "maxOutage", w.Label)
		return []Verdict{orFail(base, werr, func() Verdict { return maxOutage(base, tl, v, w) })}
	case v.Reaches != "":
		base.Kind, base.Bound = KindReaches, reachesBound(v)
		base.Name = join(v.Probe, "reaches "+strings.TrimSpace(v.Reaches), w.Label)
		return []Verdict{orFail(base, werr, func() Verdict { return reaches(base, tl, v, w) })}
	case v.Latency != nil:
		return latency(base, tl, v, w, werr, buf)
	case v.Never != "":
		base.Kind, base.Bound = KindNever, "never "+strings.TrimSpace(v.Never)
		base.Name = join(v.Probe, "never "+strings.TrimSpace(v.Never), w.Label)
		return []Verdict{orFail(base, werr, func() Verdict { return never(base, tl, v, w) })}
	}
	if v.Entered != "" {
		base.Kind, base.Bound = KindEntered, "entered "+strings.TrimSpace(v.Entered)+" times "+strings.TrimSpace(v.Times)
		base.Name = join(v.Probe, "entered "+strings.TrimSpace(v.Entered), w.Label)
		return []Verdict{orFail(base, werr, func() Verdict { return entered(base, tl, v, w) })}
	}
	base.Name = join(v.Probe, "verify", w.Label)
	base.Measured = unmeasured
	base.Detail = "no assertion set (want availability, maxOutage, reaches, latency, never or entered)"
	return []Verdict{base}
}

// orFail returns the failed verdict for an unresolvable window, or runs eval.
func orFail(base Verdict, werr error, eval func() Verdict) Verdict {
	if werr != nil {
		base.Measured, base.Detail = unmeasured, werr.Error()
		return base
	}
	return eval()
}

func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

func uniqueNames(vs []Verdict) {
	seen := make(map[string]int, len(vs))
	for i := range vs {
		seen[vs[i].Name]++
		if n := seen[vs[i].Name]; n > 1 {
			vs[i].Name = fmt.Sprintf("%s #%d", vs[i].Name, n)
		}
	}
}

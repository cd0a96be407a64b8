package verify

import (
	"time"

	"github.com/faultline/faultline/internal/measure"
)

// Outage is one run of consecutive failed samples inside a window.
type Outage struct {
	// From is the first failed sample's Start.
	From time.Duration `json:"from"`
	// To is the Start of the next ok sample, or the window's end when the
	// run was still failing there (then Open is true).
	To time.Duration `json:"to"`
	// Samples is how many failed samples the run holds.
	Samples int  `json:"samples"`
	Open    bool `json:"open,omitempty"`
}

// Duration is the outage's length.
func (o Outage) Duration() time.Duration { return o.To - o.From }

// Outages lists the runs of failed samples among the samples (sorted by
// Start) whose Start lies in w, in time order. maxOutage is the longest of
// them, so a report that marks these outages never disagrees with it.
func Outages(samples []measure.Sample, w Phase) []Outage {
	in := InWindow(samples, w)
	n := 0
	walkOutages(in, w, func(Outage) { n++ })
	if n == 0 {
		return nil
	}
	out := make([]Outage, 0, n) // counted first: one exact allocation
	walkOutages(in, w, func(o Outage) { out = append(out, o) })
	return out
}

// walkOutages calls fn for each run of failed samples in in (the samples
// of window w), in time order.
func walkOutages(in []measure.Sample, w Phase, fn func(Outage)) {
	open := false
	var cur Outage
	for i := range in {
		switch ok := in[i].OK; {
		case !ok && !open:
			open = true
			cur = Outage{From: in[i].Start, Samples: 1}
		case !ok:
			cur.Samples++
		case open:
			open = false
			cur.To = in[i].Start
			fn(cur)
		}
	}
	if open {
		cur.To, cur.Open = w.To, true
		fn(cur)
	}
}

// longestOutage is the longest of outages (the earliest on a tie); ok is
// false when there are none.
func longestOutage(outages []Outage) (Outage, bool) {
	if len(outages) == 0 {
		return Outage{}, false
	}
	best := outages[0]
	for _, o := range outages[1:] {
		if o.Duration() > best.Duration() {
			best = o
		}
	}
	return best, true
}

// SteadyHeld says whether a run of n ok samples spanning span proves a
// probe sampled every `every` held for need. The span is counted in
// whole sampling intervals: its two end samples start a few µs off their
// scheduled moments, so `every: 10s` with `for: 10s` is two ok samples
// one interval apart, never a coin toss on 9.9996s against 10s.
func SteadyHeld(span Phase, n int, every, need time.Duration) bool {
	if n == 0 {
		return false
	}
	held := span.Length()
	if every > 0 {
		held = (held + every/2) / every * every
	}
	return held >= need
}

// LongestOKRun finds the longest run of consecutive ok samples in w. Its
// span runs from the run's first sample's Start to its last sample's Start:
// only what samples proved counts, so a probe sampled every 100ms must be
// ok for 21 samples in a row to show 2s. n is the number of samples in it
// (0 when no sample in w is ok).
func LongestOKRun(samples []measure.Sample, w Phase) (span Phase, n int) {
	in := InWindow(samples, w)
	runStart, runN := 0, 0
	for i, s := range in {
		if !s.OK {
			runN = 0
			continue
		}
		if runN == 0 {
			runStart = i
		}
		runN++
		cand := Phase{From: in[runStart].Start, To: s.Start}
		if n == 0 || cand.Length() > span.Length() {
			span, n = cand, runN
		}
	}
	return span, n
}

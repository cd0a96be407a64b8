package verify

import (
	"time"

	"github.com/faultline/faultline/probes"
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
func Outages(samples []probes.Sample, w Phase) []Outage {
	var out []Outage
	open := false
	var cur Outage
	for _, s := range InWindow(samples, w) {
		switch {
		case !s.OK && !open:
			open = true
			cur = Outage{From: s.Start, Samples: 1}
		case !s.OK:
			cur.Samples++
		case open:
			open = false
			cur.To = s.Start
			out = append(out, cur)
		}
	}
	if open {
		cur.To, cur.Open = w.To, true
		out = append(out, cur)
	}
	return out
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

// LongestOKRun finds the longest run of consecutive ok samples in w. Its
// span runs from the run's first sample's Start to its last sample's Start:
// only what samples proved counts, so a probe sampled every 100ms must be
// ok for 21 samples in a row to show 2s. n is the number of samples in it
// (0 when no sample in w is ok).
func LongestOKRun(samples []probes.Sample, w Phase) (span Phase, n int) {
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

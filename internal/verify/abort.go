package verify

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
)

// DefaultAbortWindow is the sliding window of availabilityBelow when the
// condition sets none.
const DefaultAbortWindow = 10 * time.Second

// AbortWatcher judges the abortWhen conditions incrementally, one sample
// at a time, for the live engine. Feed it every sample of the method phase
// (Start from MethodStart on), in Start order per probe; different probes
// may be fed from different goroutines. Once a condition trips, the
// watcher stays tripped and keeps returning the first reason.
type AbortWatcher struct {
	probes map[string]*probeWatch // fixed after construction: read without a lock
	order  []*probeWatch          // the same, in abortWhen order, so Check is deterministic

	mu      sync.Mutex
	tripped bool
	reason  string
}

// probeWatch holds one probe's conditions and running state.
type probeWatch struct {
	name string
	mu   sync.Mutex

	outageLimits []time.Duration // outageLongerThan, in condition order
	failing      bool
	failSince    time.Duration // Start of the first failed sample of the current run

	heldLimits []time.Duration // for: abort once ok this long, in condition order
	what       string          // the condition as written, for an inline probe kind
	okRun      bool
	okSince    time.Duration // Start of the first ok sample of the current run

	avail []*availWindow
}

// availWindow is one availabilityBelow condition over a sliding window of
// samples whose Start lies in (latest-Window, latest].
type availWindow struct {
	below  float64 // percent
	text   string  // as written
	window time.Duration

	first   time.Duration // Start of the first sample observed
	started bool
	ring    []ringEntry
	head    int // index of the oldest entry in ring
	ok      int // ok samples among ring[head:]
}

type ringEntry struct {
	start time.Duration
	ok    bool
}

// NewAbortWatcher builds a watcher for exp.AbortWhen. A condition with a
// bad percentage is ignored here (the experiment's validation rejects it).
func NewAbortWatcher(exp *experiments.Experiment) *AbortWatcher {
	w := &AbortWatcher{probes: map[string]*probeWatch{}}
	if exp == nil {
		return w
	}
	for _, c := range exp.AbortWhen {
		pw := w.probes[c.Probe]
		if pw == nil {
			pw = &probeWatch{name: c.Probe}
			w.probes[c.Probe] = pw
			w.order = append(w.order, pw)
		}
		if c.OutageLongerThan != nil {
			pw.outageLimits = append(pw.outageLimits, c.OutageLongerThan.D())
		}
		if c.For != nil && c.For.D() > 0 {
			pw.heldLimits = append(pw.heldLimits, c.For.D())
			if c.Kind != "" {
				pw.what = describeInline(c.Inline)
			}
		}
		if c.AvailabilityBelow != "" {
			p, err := c.BelowPercent()
			if err != nil {
				continue
			}
			win := DefaultAbortWindow
			if c.Window != nil && c.Window.D() > 0 {
				win = c.Window.D()
			}
			pw.avail = append(pw.avail, &availWindow{below: p, text: c.AvailabilityBelow, window: win})
		}
	}
	return w
}

// Observe feeds one sample of probe. abort is true when a condition has
// tripped (now or earlier); reason names the first one that did.
func (w *AbortWatcher) Observe(probe string, s measure.Sample) (abort bool, reason string) {
	if pw := w.probes[probe]; pw != nil {
		pw.mu.Lock()
		r := pw.observe(s)
		pw.mu.Unlock()
		if r != "" {
			w.trip(r)
		}
	}
	return w.Aborted()
}

// Check judges outageLongerThan against the current time, for a probe
// whose failing check has not returned yet: the outage then runs from its
// first failed sample's Start to now.
func (w *AbortWatcher) Check(now time.Duration) (abort bool, reason string) {
	for _, pw := range w.order {
		pw.mu.Lock()
		r := ""
		if pw.failing {
			r = pw.outageReason(now)
		}
		pw.mu.Unlock()
		if r != "" {
			w.trip(r)
		}
	}
	return w.Aborted()
}

// Aborted reports whether a condition has tripped, and the first reason.
func (w *AbortWatcher) Aborted() (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tripped, w.reason
}

func (w *AbortWatcher) trip(reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.tripped {
		w.tripped, w.reason = true, reason
	}
}

// observe updates the probe's state with s and returns a reason if a
// condition trips on it. The caller holds pw.mu.
func (pw *probeWatch) observe(s measure.Sample) string {
	reason := ""
	if s.OK {
		pw.failing = false
		if !pw.okRun {
			pw.okRun, pw.okSince = true, s.Start
		}
		reason = pw.heldReason(s.Start)
	} else {
		pw.okRun = false
		if !pw.failing {
			pw.failing, pw.failSince = true, s.Start
		}
		// The sample is known failed once it returns: Start+Latency.
		reason = pw.outageReason(s.Start + s.Latency)
	}
	for _, a := range pw.avail {
		if r := a.observe(pw.name, s); r != "" && reason == "" {
			reason = r
		}
	}
	return reason
}

// heldReason: the probe has been ok (the condition true) for a `for` at
// latest, the Start of its latest ok sample (as steady states measure).
func (pw *probeWatch) heldReason(latest time.Duration) string {
	lasted := latest - pw.okSince
	for _, limit := range pw.heldLimits {
		if lasted >= limit {
			what := pw.name
			if pw.what != "" {
				what = pw.what
			}
			return fmt.Sprintf("%s held for %s since %s (for %s)", what, seconds(lasted), seconds(pw.okSince), limit)
		}
	}
	return ""
}

// describeInline names an abort condition written as a probe kind, e.g.
// prometheus query "rate(errors[1m]) > 0.1".
func describeInline(in experiments.Inline) string {
	if q, ok := in.With["query"].(string); ok {
		return fmt.Sprintf("%s query %q", in.Kind, q)
	}
	keys := make([]string, 0, len(in.With))
	for k := range in.With {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k, in.With[k])
	}
	return fmt.Sprintf("%s {%s}", in.Kind, strings.Join(parts, ", "))
}

// outageReason: the run of failures has lasted longer than a limit at now.
func (pw *probeWatch) outageReason(now time.Duration) string {
	lasted := now - pw.failSince
	for _, limit := range pw.outageLimits {
		if lasted > limit {
			return fmt.Sprintf("%s failed continuously for %s since %s (outageLongerThan %s)",
				pw.name, seconds(lasted), seconds(pw.failSince), limit)
		}
	}
	return ""
}

// observe slides the window to end at s.Start. It judges only once the
// samples seen cover a full window (s.Start - first >= window), so a run's
// first few failures cannot trip it on their own.
func (a *availWindow) observe(probe string, s measure.Sample) string {
	if !a.started {
		a.started, a.first = true, s.Start
	}
	a.ring = append(a.ring, ringEntry{start: s.Start, ok: s.OK})
	if s.OK {
		a.ok++
	}
	from := s.Start - a.window // entries at or before this are out
	for a.head < len(a.ring) && a.ring[a.head].start <= from {
		if a.ring[a.head].ok {
			a.ok--
		}
		a.head++
	}
	// Compact once the dropped prefix dominates: amortised O(1) per sample.
	if a.head > 1024 && a.head*2 > len(a.ring) {
		n := copy(a.ring, a.ring[a.head:])
		a.ring, a.head = a.ring[:n], 0
	}
	if s.Start-a.first < a.window {
		return ""
	}
	n := len(a.ring) - a.head
	pct := float64(a.ok) * 100 / float64(n)
	if pct < a.below {
		return fmt.Sprintf("%s availability %s over the %s to %s (availabilityBelow %s)",
			probe, percentText(pct, experiments.Comparison{}, false), a.window, seconds(s.Start), a.text)
	}
	return ""
}

// CheckAbort replays tl through a fresh watcher, as the live engine fed
// it: the samples whose Start lies in [MethodStart, MethodEnd] (or up to
// End when MethodEnd was not recorded), merged across probes in the order
// their checks returned (Start+Latency; per probe that is Start order,
// since a probe's checks never overlap). It tells a report why a run
// aborted.
func CheckAbort(exp *experiments.Experiment, tl Timeline) (bool, string) {
	w := NewAbortWatcher(exp)
	end := tl.MethodEnd
	if end <= tl.MethodStart {
		end = tl.End
	}
	phase := Phase{From: tl.MethodStart, To: end}
	type stream struct {
		name string
		s    []measure.Sample
	}
	var streams []stream
	for _, pw := range w.order {
		name := pw.name
		if in := InWindow(tl.Samples[name], phase); len(in) > 0 {
			streams = append(streams, stream{name, in})
		}
	}
	for {
		best := -1
		for i, st := range streams {
			if len(st.s) == 0 {
				continue
			}
			done, bestDone := st.s[0].Start+st.s[0].Latency, time.Duration(0)
			if best >= 0 {
				bestDone = streams[best].s[0].Start + streams[best].s[0].Latency
			}
			if best < 0 || done < bestDone || (done == bestDone && st.name < streams[best].name) {
				best = i
			}
		}
		if best < 0 {
			return w.Aborted()
		}
		s := streams[best].s[0]
		streams[best].s = streams[best].s[1:]
		if abort, reason := w.Observe(streams[best].name, s); abort {
			return true, reason
		}
	}
}

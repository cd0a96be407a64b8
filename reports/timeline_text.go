package reports

import (
	"fmt"
	"sort"
	"strings"
)

// maxTextOutages bounds the outages a text timeline lists per probe: the
// longest ones, so that an hour of sub-millisecond blips stays readable;
// the rest are counted on one line.
const maxTextOutages = 12

type textEvent struct {
	at    float64
	order int // ties: steps before probes, as they cause them
	line  string
}

// TextTimeline is the run as plain lines in time order, seconds from the
// method start: steps injected and reverted, probe outages with their
// durations, and the method's start and end. It has no links or markup, so
// it reads the same in a terminal, a CI job summary and a code block.
func TextTimeline(r *Report) string {
	var evs []textEvent
	add := func(at float64, order int, format string, args ...any) {
		evs = append(evs, textEvent{at: at, order: order, line: fmt.Sprintf("%-10s ", tAt(at, true)) + fmt.Sprintf(format, args...)})
	}
	add(0, 0, "%-16s %s", "method", "start")
	if r.MethodEnd > 0 {
		add(r.MethodEnd, 0, "%-16s %s", "method", "end (final reverts, steady state after)")
	}
	var notRun []string
	for _, st := range r.Steps {
		switch {
		case st.Error != "" && !st.Injected:
			notRun = append(notRun, fmt.Sprintf("%-10s %-16s FAILED (%s): %s", "-", st.Name, st.Kind, st.Error))
			continue
		case !st.Injected:
			notRun = append(notRun, fmt.Sprintf("%-10s %-16s did not run (%s)", "-", st.Name, st.Kind))
			continue
		}
		what := st.Kind
		if st.Desc != "" {
			what += ": " + st.Desc
		}
		switch {
		case st.Reverted:
			add(st.At, 1, "%-16s start  %s (for %s)", st.Name, what, secs(st.End-st.At))
			add(st.End, 1, "%-16s end", st.Name)
		default:
			add(st.At, 1, "%-16s start  %s (held to the end)", st.Name, what)
		}
		if st.Error != "" {
			add(st.At, 1, "%-16s FAILED: %s", st.Name, st.Error)
		}
	}
	for _, p := range r.Probes {
		shown := longestSpans(p.Outages, maxTextOutages)
		for _, o := range shown {
			until := tAt(o.To, true)
			if o.Open {
				until = "the end, still down"
			}
			add(o.From, 2, "%-16s DOWN   %s, until %s%s", p.Name, secs(o.Seconds), until, failedSamples(o.Samples))
		}
		if rest := p.OutageCount - len(shown); rest > 0 {
			add(r.End, 3, "%-16s %d shorter outages not listed (%d in all, longest %s)", p.Name, rest, p.OutageCount, secs(p.MaxOutage))
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		return evs[i].order < evs[j].order
	})
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(strings.TrimRight(e.line, " ") + "\n")
	}
	for _, l := range notRun {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// longestSpans returns the n longest spans (the earliest on ties), in time order.
func longestSpans(spans []Span, n int) []Span {
	if len(spans) <= n {
		return spans
	}
	idx := make([]int, len(spans))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return spans[idx[a]].Seconds > spans[idx[b]].Seconds })
	idx = idx[:n]
	sort.Ints(idx)
	out := make([]Span, n)
	for i, k := range idx {
		out[i] = spans[k]
	}
	return out
}

func failedSamples(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 failed sample)"
	}
	return fmt.Sprintf(" (%d failed samples)", n)
}

package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/verify"
)

// Waterfall is one fault step's recovery: every `reaches … after` that
// fault (or its end), and the actions that ran after it, as bars from the
// fault's moment. It answers "how long until we were whole again" at a
// glance. The HTML and Markdown reports draw it from the same rows.
type Waterfall struct {
	Step string `json:"step"`
	Kind string `json:"kind"`
	// Ran: the fault was injected; At is then its inject, seconds from
	// the method start, and every bar counts from it.
	Ran bool    `json:"ran"`
	At  float64 `json:"at"`
	// Span is the axis length in seconds from the fault: the furthest bar
	// end or bound.
	Span float64 `json:"span"`
	Bars []Bar   `json:"bars"`
}

// Bar states. The text of each says what happened, so a report read
// without colour (a terminal, a screen reader) says it too.
const (
	BarFault      = "fault"       // the fault itself, inject to revert
	BarAction     = "action"      // an action step that ran after the fault
	BarPass       = "within"      // reached within its bound
	BarLate       = "late"        // reached, after its bound
	BarUnreached  = "not reached" // never reached while probing
	BarUnmeasured = "not measured"
)

// Bar is one row of a waterfall. From and To are seconds after the fault:
// a `reaches … after STEP.end` bar starts at the revert, one after the
// fault at 0; To is the moment reached (for not reached, the last sample
// seen). Bound is the `within` deadline when there is one.
type Bar struct {
	Label string `json:"label"` // what reached or ran: "replicas reaches >= 2"
	After string `json:"after,omitempty"`
	State string `json:"state"`
	// Verdict is the verdict's name, for a reaches bar.
	Verdict  string  `json:"verdict,omitempty"`
	From     float64 `json:"from"`
	To       float64 `json:"to"`
	HasBound bool    `json:"hasBound"`
	Bound    float64 `json:"bound,omitempty"`
	// BoundText is the bound as written ("ok within 1s"), Measured the
	// verdict's measured value (from the anchor, not the fault).
	BoundText string `json:"boundText,omitempty"`
	Measured  string `json:"measured"`
	Detail    string `json:"detail,omitempty"`
}

// Drawn reports whether the bar has a measured extent.
func (b Bar) Drawn() bool { return b.State != BarUnmeasured }

// Failed reports whether the bar is a failed verification or action.
func (b Bar) Failed() bool {
	return b.State == BarLate || b.State == BarUnreached || b.State == BarUnmeasured || (b.State == BarAction && b.Detail != "")
}

// StateText is the bar's outcome in words, beside its measured time.
func (b Bar) StateText() string {
	switch b.State {
	case BarPass:
		return "within " + b.boundDur()
	case BarLate:
		return "LATE, bound " + b.boundDur()
	case BarUnreached:
		return "NOT REACHED"
	case BarUnmeasured:
		return "NOT MEASURED"
	case BarAction:
		if b.Detail != "" {
			return "FAILED"
		}
		return "action"
	}
	return b.State
}

// boundDur is the bound's duration part ("5s" of ">= 2 within 5s"), or
// "the run's end" when the verification has none.
func (b Bar) boundDur() string {
	if _, d, ok := strings.Cut(b.BoundText, " within "); ok {
		return d
	}
	return "the run's end"
}

// notMeasured is verify's measured text for a verdict with no value.
const notMeasured = "n/a"

// Waterfalls computes a waterfall per fault step that has at least one
// `reaches … after` verification. It uses verify's verdicts as they are
// (measured values and windows) and the journal's step times: nothing is
// re-evaluated. A reaches after an action step, and an action itself,
// belong to the latest fault injected at or before that step.
func Waterfalls(r *Report) []Waterfall {
	if r.exp == nil {
		return nil
	}
	var faultsInOrder []*experiments.Step
	isFault := map[string]bool{}
	for _, s := range r.exp.Steps {
		if s != nil && s.Fault != "" {
			faultsInOrder = append(faultsInOrder, s)
			isFault[s.Name] = true
		}
	}
	rel := func(name string) (at, end float64, injected, reverted bool) {
		t, ok := r.tl.Steps[name]
		if !ok || !t.Injected {
			return 0, 0, false, false
		}
		return r.relT(t.Inject), r.relT(t.Revert), true, t.Reverted
	}
	// owner is the fault a step belongs to: itself, or the latest fault
	// injected at or before it.
	owner := func(name string) string {
		if isFault[name] {
			return name
		}
		at, _, ok, _ := rel(name)
		if !ok {
			return ""
		}
		best, bestAt := "", 0.0
		for _, f := range faultsInOrder {
			fa, _, fok, _ := rel(f.Name)
			if fok && fa <= at && (best == "" || fa >= bestAt) {
				best, bestAt = f.Name, fa
			}
		}
		return best
	}
	bars := map[string][]Bar{}
	// The reaches verdicts are the reaches entries in file order (verify
	// dispatches availability and maxOutage before reaches).
	var entries []experiments.Verify
	for _, v := range r.exp.Verify {
		if v.Availability == "" && v.MaxOutage == nil && v.Reaches != "" {
			entries = append(entries, v)
		}
	}
	i := 0
	for _, v := range r.Verdicts {
		if v.Kind != verify.KindReaches || i >= len(entries) {
			continue
		}
		e := entries[i]
		i++
		if e.After == "" {
			continue
		}
		step, _ := stepOf(r.exp, e.After)
		f := owner(step)
		if f == "" {
			continue
		}
		bars[f] = append(bars[f], reachesBar(r, v, e, f))
	}
	var out []Waterfall
	for _, fs := range faultsInOrder {
		if len(bars[fs.Name]) == 0 {
			continue
		}
		w := Waterfall{Step: fs.Name, Kind: fs.Fault}
		at, end, ok, reverted := rel(fs.Name)
		w.Ran, w.At = ok, at
		rows := bars[fs.Name]
		if ok {
			fb := Bar{Label: fs.Name + " (" + fs.Fault + ")", State: BarFault}
			if reverted {
				fb.To, fb.Measured = end-at, secs(end-at)
			} else {
				fb.To, fb.Measured, fb.Detail = r.End-at, "held to the end", "never reverted"
			}
			for _, s := range r.exp.Steps {
				if s == nil || s.Action == "" || owner(s.Name) != fs.Name {
					continue
				}
				rows = append(rows, actionBar(r, s, at))
			}
			sortBars(rows)
			rows = append([]Bar{fb}, rows...)
		}
		for _, b := range rows {
			if b.Drawn() && b.To > w.Span {
				w.Span = b.To
			}
			if b.HasBound && b.Bound > w.Span {
				w.Span = b.Bound
			}
		}
		w.Bars = rows
		out = append(out, w)
	}
	return out
}

func reachesBar(r *Report, v verify.Verdict, e experiments.Verify, fault string) Bar {
	b := Bar{Label: v.Probe + " reaches " + strings.TrimSpace(e.Reaches), After: e.After, Verdict: v.Name,
		BoundText: v.Bound, Measured: v.Measured, Detail: v.Detail}
	ft, ok := r.tl.Steps[fault]
	if !ok || !ft.Injected || v.Measured == notMeasured {
		b.State = BarUnmeasured
		return b
	}
	// The verdict's window starts at its anchor (the step's inject or revert).
	b.From = r.relT(v.Window.From) - r.relT(ft.Inject)
	b.To = b.From + v.Value
	if e.Within != nil {
		b.HasBound, b.Bound = true, b.From+e.Within.D().Seconds()
	}
	switch {
	case v.Passed:
		b.State = BarPass
	case strings.HasPrefix(v.Measured, ">"):
		b.State = BarUnreached
	default:
		b.State = BarLate
	}
	return b
}

func actionBar(r *Report, s *experiments.Step, faultAt float64) Bar {
	b := Bar{Label: s.Name + " (" + s.Action + ")", State: BarAction}
	for _, st := range r.Steps {
		if st.Name != s.Name {
			continue
		}
		b.From = st.At - faultAt
		switch {
		case st.Reverted:
			b.To, b.Measured = st.End-faultAt, secs(st.End-st.At)
		default:
			b.To, b.Measured = r.End-faultAt, "still running at the end"
		}
		if st.Error != "" {
			b.Detail = st.Error
		}
	}
	return b
}

// sortBars puts the rows in time order: by the moment each was reached
// (or the action ended), then where it started; unmeasured rows last, in
// file order.
func sortBars(bs []Bar) {
	sort.SliceStable(bs, func(i, j int) bool {
		a, b := bs[i], bs[j]
		if a.Drawn() != b.Drawn() {
			return a.Drawn()
		}
		if !a.Drawn() {
			return false
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.From < b.From
	})
}

// stepOf splits `after: STEP` / `after: STEP.end` as verify does: a step
// whose name really ends in ".end" wins.
func stepOf(exp *experiments.Experiment, after string) (string, bool) {
	for _, s := range exp.Steps {
		if s != nil && s.Name == after {
			return after, false
		}
	}
	if name, ok := strings.CutSuffix(after, ".end"); ok {
		return name, true
	}
	return after, false
}

// offset formats seconds after the fault.
func offset(s float64) string { return fmt.Sprintf("+%.3fs", s) }

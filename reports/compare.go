package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/verify"
)

// Comparison puts a run's measured values next to a baseline run's: every
// verdict (matched by name), each probe's availability, longest outage and
// outage count, and each step's duration, with the change.
type Comparison struct {
	Run                string       `json:"run"`
	Experiment         string       `json:"experiment"`
	Status             string       `json:"status"`
	Baseline           string       `json:"baseline"`
	BaselineExperiment string       `json:"baselineExperiment"`
	BaselineStatus     string       `json:"baselineStatus"`
	Rows               []CompareRow `json:"rows"`
	Worse              int          `json:"worse"`  // rows that got worse
	Better             int          `json:"better"` // rows that got better
}

// CompareRow is one measured value in both runs.
type CompareRow struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Unit  string `json:"unit,omitempty"` // "s", "%" or "" (a count)
	Bound string `json:"bound,omitempty"`
	// Baseline and Current are absent when the row exists in one run only.
	Baseline *Measure `json:"baseline,omitempty"`
	Current  *Measure `json:"current,omitempty"`
	// Change is current minus baseline, in Unit ("%" rows: percentage points).
	Change     *float64 `json:"change,omitempty"`
	ChangeText string   `json:"changeText"`
	// Trend: better, worse, same, changed (no better direction), new, gone.
	Trend string `json:"trend"`
}

// Measure is one run's value of a row.
type Measure struct {
	Measured string  `json:"measured"`
	Value    float64 `json:"value"`
	Passed   *bool   `json:"passed,omitempty"` // verdict rows only
	measured bool    // false for "n/a": nothing to compare
}

// Trends.
const (
	TrendBetter  = "better"
	TrendWorse   = "worse"
	TrendSame    = "same"
	TrendChanged = "changed"
	TrendNew     = "new"
	TrendGone    = "gone"
)

// noiseShare: a change smaller than this share of the baseline (or than
// the unit's resolution) is "same", so timing jitter does not read as a
// regression.
const noiseShare = 0.02

// direction of a kind: -1 lower is better, +1 higher is better, 0 neither.
func direction(kind string) int {
	switch kind {
	case verify.KindAvailability:
		return +1
	case verify.KindMaxOutage, verify.KindReaches, verify.KindLatency, verify.KindNever, "outages", "action":
		return -1
	}
	return 0
}

func unitOf(kind string) string {
	switch kind {
	case verify.KindAvailability:
		return "%"
	case verify.KindMaxOutage, verify.KindReaches, verify.KindLatency, verify.KindSteadyState, "action", "fault":
		return "s"
	}
	return ""
}

type compareItem struct {
	name, kind, bound string
	m                 Measure
}

func compareItems(r *Report) []compareItem {
	var out []compareItem
	for _, v := range r.Verdicts {
		passed := v.Passed
		out = append(out, compareItem{name: v.Name, kind: v.Kind, bound: v.Bound,
			m: Measure{Measured: v.Measured, Value: v.Value, Passed: &passed, measured: v.Measured != "n/a" && v.Detail != verify.DetailNoSamples}})
	}
	for _, p := range r.Probes {
		ok := p.Samples > 0
		out = append(out,
			compareItem{name: p.Name + " availability (whole run)", kind: verify.KindAvailability,
				m: Measure{Measured: fmt.Sprintf("%.3f%%", p.Availability), Value: p.Availability, measured: ok}},
			compareItem{name: p.Name + " longest outage (whole run)", kind: verify.KindMaxOutage,
				m: Measure{Measured: secs(p.MaxOutage), Value: p.MaxOutage, measured: ok}},
			compareItem{name: p.Name + " outages (whole run)", kind: "outages",
				m: Measure{Measured: fmt.Sprint(p.OutageCount), Value: float64(p.OutageCount), measured: ok}})
	}
	for _, st := range r.Steps {
		kind := "fault"
		if r.exp != nil {
			for _, s := range r.exp.Steps {
				if s != nil && s.Name == st.Name && s.Action != "" {
					kind = "action"
				}
			}
		}
		m := Measure{Measured: "did not end", measured: false}
		if st.Injected && st.Reverted {
			m = Measure{Measured: secs(st.End - st.At), Value: st.End - st.At, measured: true}
		}
		out = append(out, compareItem{name: "step " + st.Name + " took", kind: kind, m: m})
	}
	return out
}

// Compare lines up the measured values of cur against base.
func Compare(base, cur *Report) *Comparison {
	c := &Comparison{Run: cur.Run, Experiment: cur.Experiment, Status: cur.Status,
		Baseline: base.Run, BaselineExperiment: base.Experiment, BaselineStatus: base.Status}
	baseItems := compareItems(base)
	byName := map[string]int{}
	for i, it := range baseItems {
		byName[it.name] = i
	}
	used := map[string]bool{}
	for _, it := range compareItems(cur) {
		cm := it.m
		row := CompareRow{Name: it.name, Kind: it.kind, Unit: unitOf(it.kind), Bound: it.bound, Current: &cm}
		if i, ok := byName[it.name]; ok && !used[it.name] {
			used[it.name] = true
			bm := baseItems[i].m
			row.Baseline = &bm
		}
		c.add(row)
	}
	for _, it := range baseItems {
		if used[it.name] {
			continue
		}
		bm := it.m
		c.add(CompareRow{Name: it.name, Kind: it.kind, Unit: unitOf(it.kind), Bound: it.bound, Baseline: &bm})
	}
	return c
}

func (c *Comparison) add(row CompareRow) {
	switch {
	case row.Baseline == nil:
		row.Trend, row.ChangeText = TrendNew, "new"
	case row.Current == nil:
		row.Trend, row.ChangeText = TrendGone, "not in this run"
	case !row.Baseline.measured || !row.Current.measured:
		row.Trend, row.ChangeText = TrendChanged, "not comparable"
		if row.Baseline.Measured == row.Current.Measured {
			row.Trend, row.ChangeText = TrendSame, "—"
		}
	default:
		d := row.Current.Value - row.Baseline.Value
		row.Change = &d
		row.ChangeText = changeText(d, row.Baseline.Value, row.Unit, row.Kind == verify.KindLatency)
		row.Trend = trend(d, row.Baseline.Value, row.Unit, direction(row.Kind))
	}
	// A bound that broke is worse whatever the numbers say, and the reverse.
	if row.Baseline != nil && row.Current != nil && row.Baseline.Passed != nil && row.Current.Passed != nil &&
		*row.Baseline.Passed != *row.Current.Passed {
		row.Trend = TrendBetter
		if !*row.Current.Passed {
			row.Trend = TrendWorse
		}
	}
	switch row.Trend {
	case TrendWorse:
		c.Worse++
	case TrendBetter:
		c.Better++
	}
	c.Rows = append(c.Rows, row)
}

// resolution is the smallest change of a unit worth reporting.
func resolution(unit string) float64 {
	switch unit {
	case "s":
		return 0.001
	case "%":
		return 0.01
	}
	return 0.5
}

func trend(d, base float64, unit string, dir int) string {
	if math.Abs(d) < math.Max(resolution(unit), noiseShare*math.Abs(base)) {
		return TrendSame
	}
	switch {
	case dir == 0:
		return TrendChanged
	case (d > 0) == (dir > 0):
		return TrendBetter
	}
	return TrendWorse
}

// changeText writes a change in its unit; latencies (fine) move by
// milliseconds and less, so they are written as durations.
func changeText(d, base float64, unit string, fine bool) string {
	var s string
	switch unit {
	case "s":
		s = fmt.Sprintf("%+.3fs", d)
		if fine && math.Abs(d) < 1 {
			s = (time.Duration(math.Abs(d) * float64(time.Second))).Round(time.Microsecond).String()
			s = map[bool]string{true: "+", false: "-"}[d >= 0] + s
		}
	case "%":
		s = fmt.Sprintf("%+.3f pp", d)
	default:
		s = fmt.Sprintf("%+g", d)
	}
	if unit != "%" && base != 0 && d != 0 {
		s += fmt.Sprintf(" (%+.0f%%)", 100*d/math.Abs(base))
	}
	return s
}

// Headline sums the comparison up in one line.
func (c *Comparison) Headline() string {
	return fmt.Sprintf("%s (%s) against baseline %s (%s): %d worse, %d better", c.Run, c.Status, c.Baseline, c.BaselineStatus, c.Worse, c.Better)
}

var trendMark = map[string]string{TrendWorse: "🔺 worse", TrendBetter: "🟢 better", TrendSame: "same",
	TrendChanged: "changed", TrendNew: "new", TrendGone: "gone"}

func measuredText(m *Measure) string {
	if m == nil {
		return "—"
	}
	s := m.Measured
	if m.Passed != nil && !*m.Passed {
		s += " ❌"
	}
	return s
}

// WriteCompareMarkdown writes the comparison as a Markdown section, worst
// news first: the rows that got worse, then the whole table.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### Compared with baseline `%s`\n\n%s\n\n", c.Baseline, mdEscape(c.Headline()))
	if c.Experiment != c.BaselineExperiment {
		fmt.Fprintf(&b, "**Note:** the baseline ran experiment %s, this run %s.\n\n", mdEscape(c.BaselineExperiment), mdEscape(c.Experiment))
	}
	var worse []string
	for _, r := range c.Rows {
		if r.Trend == TrendWorse {
			worse = append(worse, fmt.Sprintf("- **%s**: %s → **%s** (%s)", mdEscape(r.Name), measuredText(r.Baseline), measuredText(r.Current), r.ChangeText))
		}
	}
	if len(worse) > 0 {
		b.WriteString("Worse than the baseline:\n\n" + strings.Join(worse, "\n") + "\n\n")
	}
	b.WriteString("| measured | bound | baseline | this run | change | |\n|---|---|---|---|---|---|\n")
	for _, r := range c.Rows {
		bound := ""
		if r.Bound != "" {
			bound = "`" + r.Bound + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(r.Name), bound, mdEscape(measuredText(r.Baseline)),
			mdEscape(measuredText(r.Current)), r.ChangeText, trendMark[r.Trend])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCompareJSON writes the comparison as indented JSON.
func WriteCompareJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

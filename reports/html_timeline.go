package reports

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/verify"
)

// Geometry of every drawing, in SVG user units (the viewBox).
const (
	svgWidth     = 1200.0
	plotLeft     = 150.0
	plotWidth    = 1030.0
	laneHeight   = 18.0
	axisHeight   = 22.0
	stripHeight  = 22.0
	stripLabels  = 14.0 // the row under a strip that carries outage labels
	stripGap     = 8.0
	minOutagePx  = 2.0 // an outage shorter than this is still drawn this wide
	maxOutageTag = 10  // duration labels per strip (every outage has a tooltip)
)

func newScale(tl verify.Timeline) xScale {
	return xScale{t0: 0, t1: tl.End, left: plotLeft, width: plotWidth}
}

// stepWindow is a step's span on the drawings.
type stepWindow struct {
	Step
	from, to time.Duration
	action   bool
}

func stepWindows(r *Report) []stepWindow {
	var out []stepWindow
	for _, st := range r.Steps {
		t, ok := r.tl.Steps[st.Name]
		if !ok || !t.Injected {
			continue
		}
		w := stepWindow{Step: st, from: t.Inject, to: r.tl.End}
		if t.Reverted {
			w.to = t.Revert
		}
		if r.exp != nil {
			for _, s := range r.exp.Steps {
				if s != nil && s.Name == st.Name {
					w.action = s.Action != ""
				}
			}
		}
		out = append(out, w)
	}
	return out
}

// svgText escapes text for SVG content and attributes.
func svgText(s string) string { return html.EscapeString(s) }

func f1(v float64) string { return trimFloat(fmt.Sprintf("%.1f", v)) }
func f2(v float64) string { return trimFloat(fmt.Sprintf("%.2f", v)) }
func trimFloat(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// relT is a run offset as seconds from the method start.
func (r *Report) relT(t time.Duration) float64 { return (t - r.tl.MethodStart).Seconds() }

// timelineSVG draws the run: step windows shaded and labelled, one up/down
// strip per probe, every outage marked with its duration, the phases.
func timelineSVG(r *Report, sc xScale) string {
	steps := stepWindows(r)
	top := 4.0
	axisY := top + float64(len(steps))*laneHeight + 4
	stripsY := axisY + axisHeight
	rowH := stripHeight + stripLabels + stripGap
	height := stripsY + float64(len(r.Probes))*rowH + 4
	bottom := height - 4

	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="timeline" class="tl" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" `+
		`data-left="%s" data-width="%s" data-t0="%s" data-px-per-s="%s" data-min-outage-px="%s" role="img" aria-label="timeline">`,
		f1(svgWidth), f1(height), f1(plotLeft), f1(plotWidth), f2(r.relT(sc.t0)), trimFloat(fmt.Sprintf("%.6f", sc.pxPerSecond())), f1(minOutagePx))
	b.WriteString("\n")
	phases(&b, r, sc, top, bottom)
	for i, w := range steps {
		x0, x1 := sc.x(w.from), sc.x(w.to)
		cls := "step-window fault"
		if w.action {
			cls = "step-window action"
		}
		label := fmt.Sprintf("%s (%s) %s", w.Name, w.Kind, secs((w.to - w.from).Seconds()))
		if !w.Reverted {
			label = fmt.Sprintf("%s (%s) held to the end", w.Name, w.Kind)
		}
		laneY := top + float64(i)*laneHeight
		fmt.Fprintf(&b, `<rect id="step-window-%d" class="%s" data-step="%s" data-from="%s" data-to="%s" x="%s" y="%s" width="%s" height="%s"><title>%s: T%+.3fs to T%+.3fs</title></rect>`+"\n",
			i, cls, svgText(w.Name), f2(r.relT(w.from)), f2(r.relT(w.to)), f2(x0), f1(laneY), f2(math.Max(x1-x0, 1)), f1(bottom-laneY),
			svgText(label), r.relT(w.from), r.relT(w.to))
		anchor, tx := "start", x0+3
		if tx > plotLeft+plotWidth-200 {
			anchor, tx = "end", x1-3
		}
		fmt.Fprintf(&b, `<text class="step-label" x="%s" y="%s" text-anchor="%s">%s</text>`+"\n", f1(tx), f1(laneY+13), anchor, svgText(label))
	}
	axis(&b, r, sc, axisY, bottom, "T (s)")
	for i, p := range r.Probes {
		y := stripsY + float64(i)*rowH
		strip(&b, r, sc, p, y)
	}
	b.WriteString("</svg>")
	return b.String()
}

// phases shades the steady-state checks before and after the method.
func phases(b *strings.Builder, r *Report, sc xScale, top, bottom float64) {
	tl := r.tl
	shade := func(id string, from, to time.Duration, label string) {
		if to <= from {
			return
		}
		x0, x1 := sc.x(from), sc.x(to)
		fmt.Fprintf(b, `<rect id="%s" class="phase" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`+"\n",
			id, f2(x0), f1(top), f2(x1-x0), f1(bottom-top), label)
	}
	shade("phase-steady-before", 0, tl.MethodStart, "steady state before the method")
	if tl.MethodEnd > tl.MethodStart && tl.MethodEnd < tl.End {
		shade("phase-after", tl.MethodEnd, tl.End, "final reverts and the steady state after the method")
	}
}

// axis draws time ticks, in seconds from the method start, over the plot.
func axis(b *strings.Builder, r *Report, sc xScale, y, bottom float64, unit string) {
	from, to := r.relT(sc.t0), r.relT(sc.t1)
	step := niceStep((to - from) / 10)
	fmt.Fprintf(b, `<g class="axis"><line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(plotLeft), f1(plotLeft+plotWidth), f1(y+axisHeight-4), f1(y+axisHeight-4))
	for v := math.Ceil(from/step) * step; v <= to+1e-9; v += step {
		x := sc.x(sc.t0 + time.Duration((v-from)*float64(time.Second)))
		fmt.Fprintf(b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="middle">%s</text>`,
			f1(x), f1(x), f1(y+axisHeight-4), f1(bottom), f1(x), f1(y+12), tickText(v, step))
	}
	if unit != "" {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, f1(plotLeft-8), f1(y+12), unit)
	}
	b.WriteString("</g>\n")
}

func tickText(v, step float64) string {
	if math.Abs(v) < step/1e6 {
		v = 0
	}
	switch {
	case step >= 1:
		return fmt.Sprintf("%+.0f", v)
	case step >= 0.1:
		return fmt.Sprintf("%+.1f", v)
	}
	return fmt.Sprintf("%+.2f", v)
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// strip is one probe's up/down row: green where it was up, red where any
// sample failed, then every outage on top with at least minOutagePx.
func strip(b *strings.Builder, r *Report, sc xScale, p Probe, y float64) {
	ss := r.tl.Samples[p.Name]
	fmt.Fprintf(b, `<g class="probe" data-probe="%s"><text class="probe-name" x="%s" y="%s" text-anchor="end">%s</text>`+"\n",
		svgText(p.Name), f1(plotLeft-8), f1(y+15), svgText(p.Name))
	for _, run := range runs(binSamples(ss, sc)) {
		if run.state == stateNone {
			continue
		}
		cls := "up"
		if run.state == stateDown {
			cls = "down"
		}
		fmt.Fprintf(b, `<rect class="%s" x="%s" y="%s" width="%d" height="%s"/>`, cls, f1(plotLeft+float64(run.from)), f1(y), run.to-run.from, f1(stripHeight))
	}
	b.WriteString("\n")
	outages := verify.Outages(ss, verify.Phase{From: sc.t0, To: sc.t1})
	tagged := outageTags(outages, sc)
	if len(outages) > maxOutageMarks {
		outageGroups(b, r, sc, p.Name, outages, tagged, y)
	} else {
		for i, o := range outages {
			outageMark(b, r, sc, p.Name, o, tagged[i], y)
		}
	}
	deadlines(b, r, sc, p.Name, y-2, y+stripHeight+2)
	b.WriteString("</g>\n")
}

// outageMark draws one outage: exact position, its duration as its width
// (at least minOutagePx), its times in data attributes and a tooltip.
func outageMark(b *strings.Builder, r *Report, sc xScale, probe string, o verify.Outage, tag bool, y float64) {
	x0 := sc.x(o.From)
	w := math.Max(sc.x(o.To)-x0, minOutagePx)
	d := o.Duration().Seconds()
	fmt.Fprintf(b, `<rect class="outage" data-probe="%s" data-from="%s" data-to="%s" data-seconds="%s" x="%s" y="%s" width="%s" height="%s"><title>%s down %s from T%+.3fs (%d failed samples)</title></rect>`,
		svgText(probe), trimFloat(fmt.Sprintf("%.6f", r.relT(o.From))), trimFloat(fmt.Sprintf("%.6f", r.relT(o.To))), trimFloat(fmt.Sprintf("%.6f", d)),
		f2(x0), f1(y-2), trimFloat(fmt.Sprintf("%.3f", w)), f1(stripHeight+4), svgText(probe), secs(d), r.relT(o.From), o.Samples)
	if tag {
		fmt.Fprintf(b, `<text class="outage-label" x="%s" y="%s">%s</text>`, f1(x0), f1(y+stripHeight+stripLabels-2), secs(d))
	}
	b.WriteString("\n")
}

// maxOutageMarks bounds the marks of one strip. A flapping probe can have
// hundreds of thousands of outages in an hour; past this many, outages
// whose marks would touch are drawn as one group mark covering all of
// them (with their count and the longest), so none disappears and the
// page stays small. Labelled outages keep marks of their own.
const maxOutageMarks = 4000

func outageGroups(b *strings.Builder, r *Report, sc xScale, probe string, outages []verify.Outage, tagged []bool, y float64) {
	for i := 0; i < len(outages); {
		if tagged[i] {
			outageMark(b, r, sc, probe, outages[i], true, y)
			i++
			continue
		}
		x0 := sc.x(outages[i].From)
		x1 := math.Max(sc.x(outages[i].To), x0+minOutagePx)
		longest := outages[i].Duration()
		j := i + 1
		for ; j < len(outages) && !tagged[j] && sc.x(outages[j].From) <= x1; j++ {
			x1 = math.Max(x1, math.Max(sc.x(outages[j].To), sc.x(outages[j].From)+minOutagePx))
			longest = max(longest, outages[j].Duration())
		}
		if j == i+1 {
			outageMark(b, r, sc, probe, outages[i], false, y)
		} else {
			fmt.Fprintf(b, `<rect class="outage-group" data-probe="%s" data-count="%d" data-longest="%s" x="%s" y="%s" width="%s" height="%s"><title>%d outages of %s, T%+.3fs to T%+.3fs, the longest %s</title></rect>`+"\n",
				svgText(probe), j-i, trimFloat(fmt.Sprintf("%.6f", longest.Seconds())), f2(x0), f1(y-2), f2(x1-x0), f1(stripHeight+4),
				j-i, svgText(probe), r.relT(outages[i].From), r.relT(outages[j-1].To), secs(longest.Seconds()))
		}
		i = j
	}
}

// outageTags picks which outages get a duration label: the longest first,
// as many as fit without overlapping, at most maxOutageTag.
func outageTags(outages []verify.Outage, sc xScale) []bool {
	tagged := make([]bool, len(outages))
	idx := make([]int, len(outages))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return outages[idx[a]].Duration() > outages[idx[b]].Duration() })
	type span struct{ a, b float64 }
	var placed []span
	const labelPx = 48.0 // "12.345s" at the label font size
	for _, i := range idx {
		if len(placed) == maxOutageTag {
			break
		}
		x := sc.x(outages[i].From)
		s := span{x, x + labelPx}
		if s.b > plotLeft+plotWidth+20 {
			continue
		}
		free := true
		for _, q := range placed {
			if s.a < q.b+4 && q.a < s.b+4 {
				free = false
				break
			}
		}
		if free {
			placed = append(placed, s)
			tagged[i] = true
		}
	}
	return tagged
}

// reachGoal is a `reaches` assertion drawn on the charts: its anchor, its
// deadline (anchor + within), its numeric threshold if it has one, and
// when it was reached.
type reachGoal struct {
	verdict   verify.Verdict
	anchor    time.Duration
	deadline  time.Duration
	threshold *experiments.Comparison
}

// reachGoals pairs each reaches verdict of probe with its verify entry:
// Evaluate gives exactly one verdict per reaches entry, in file order.
func reachGoals(r *Report, probe string) []reachGoal {
	if r.exp == nil {
		return nil
	}
	var entries []experiments.Verify
	for _, v := range r.exp.Verify {
		if v.Reaches != "" {
			entries = append(entries, v)
		}
	}
	var out []reachGoal
	k := 0
	for _, v := range r.Verdicts {
		if v.Kind != verify.KindReaches {
			continue
		}
		if k >= len(entries) {
			break
		}
		e := entries[k]
		k++
		if v.Probe != probe || e.Within == nil || v.Measured == "n/a" {
			continue
		}
		g := reachGoal{verdict: v, anchor: v.Window.From, deadline: v.Window.From + e.Within.D()}
		if t := strings.TrimSpace(e.Reaches); t != "ok" {
			if c, err := experiments.ParseComparison(t); err == nil {
				g.threshold = &c
			}
		}
		out = append(out, g)
	}
	return out
}

// deadlines marks each reaches deadline of a probe between y0 and y1.
func deadlines(b *strings.Builder, r *Report, sc xScale, probe string, y0, y1 float64) {
	for _, g := range reachGoals(r, probe) {
		x := sc.x(g.deadline)
		cls := "deadline pass"
		if !g.verdict.Passed {
			cls = "deadline fail"
		}
		fmt.Fprintf(b, `<line class="%s" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s: deadline T%+.3fs, measured %s</title></line>`+"\n",
			cls, f2(x), f2(x), f1(y0), f1(y1), svgText(g.verdict.Name), r.relT(g.deadline), svgText(g.verdict.Measured))
	}
}

package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/probes"
)

const (
	chartPlotTop = 8.0
	chartPlotH   = 110.0
	chartHeight  = chartPlotTop + chartPlotH + 26
)

// countingProbe: its kind's value is worth drawing (libvirt domains, a
// number an exec probe prints, a Prometheus query's value), not a status
// code or a 1/0; the probes registry says which.
func countingProbe(kind string) bool {
	k, ok := probes.Lookup(kind)
	return ok && k.Value.Charted()
}

// chartSVG draws one probe over time on the timeline's x axis: latency
// (min to max of ok samples per pixel column) for HTTP/TCP probes, the
// value with its `reaches` thresholds and deadlines for counting probes.
func chartSVG(r *Report, sc xScale, p Probe) string {
	ss := r.tl.Samples[p.Name]
	cols := binSamples(ss, sc)
	var b strings.Builder
	kind := "latency"
	if countingProbe(p.Kind) {
		kind = "value"
	}
	fmt.Fprintf(&b, `<svg id="chart-%s" class="tl chart %s" data-probe="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" data-left="%s" data-width="%s" data-t0="%s" data-px-per-s="%s" role="img" aria-label="%s %s">`+"\n",
		svgText(p.Name), kind, svgText(p.Name), f1(svgWidth), f1(chartHeight), f1(plotLeft), f1(plotWidth), f2(r.relT(sc.t0)),
		trimFloat(fmt.Sprintf("%.6f", sc.pxPerSecond())), svgText(p.Name), kind)
	for i, w := range stepWindows(r) {
		x0, x1 := sc.x(w.from), sc.x(w.to)
		fmt.Fprintf(&b, `<rect class="step-band" data-step="%s" id="chart-%s-step-%d" x="%s" y="%s" width="%s" height="%s"/>`,
			svgText(w.Name), svgText(p.Name), i, f2(x0), f1(chartPlotTop), f2(math.Max(x1-x0, 1)), f1(chartPlotH))
	}
	fmt.Fprintf(&b, `<rect class="plot-frame" x="%s" y="%s" width="%s" height="%s"/>`+"\n", f1(plotLeft), f1(chartPlotTop), f1(plotWidth), f1(chartPlotH))
	if kind == "latency" {
		latencyChart(&b, cols)
	} else {
		valueChart(&b, r, sc, p, ss, cols)
	}
	failTicks(&b, cols)
	axis(&b, r, sc, chartPlotTop+chartPlotH, chartPlotTop+chartPlotH, "")
	b.WriteString("</svg>")
	return b.String()
}

// yAxis draws a left axis with a few ticks from 0 to max.
func yAxis(b *strings.Builder, max float64, label func(float64) string) {
	step := niceStep(max / 4)
	for v := 0.0; v <= max+1e-12; v += step {
		y := yOf(v, max)
		fmt.Fprintf(b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/><text class="ytick" x="%s" y="%s" text-anchor="end">%s</text>`,
			f1(plotLeft), f1(plotLeft+plotWidth), f1(y), f1(y), f1(plotLeft-6), f1(y+4), label(v))
	}
	b.WriteString("\n")
}

func yOf(v, max float64) float64 {
	if max <= 0 {
		return chartPlotTop + chartPlotH
	}
	return chartPlotTop + chartPlotH - v/max*chartPlotH
}

func latencyChart(b *strings.Builder, cols []column) {
	var maxLat time.Duration
	for _, c := range cols {
		if c.latN > 0 && c.latMax > maxLat {
			maxLat = c.latMax
		}
	}
	max := niceCeil(maxLat.Seconds() * 1000)
	yAxis(b, max, func(v float64) string { return trimFloat(fmt.Sprintf("%.3g", v)) + " ms" })
	var d strings.Builder
	for i, c := range cols {
		if c.latN == 0 {
			continue
		}
		x := plotLeft + float64(i) + 0.5
		y0, y1 := yOf(c.latMax.Seconds()*1000, max), yOf(c.latMin.Seconds()*1000, max)
		if y1-y0 < 1 {
			y1 = y0 + 1
		}
		fmt.Fprintf(&d, "M%s %sV%s", f1(x), f1(y0), f1(y1))
	}
	fmt.Fprintf(b, `<path class="latency" d="%s"><title>latency of ok samples, min to max per pixel column</title></path>`+"\n", d.String())
}

// valueChart draws the value as a step line at the probe's real
// resolution when samples are fewer than pixels, else min to max per
// column; then each reaches threshold, deadline and the moment it was met.
func valueChart(b *strings.Builder, r *Report, sc xScale, p Probe, ss []probes.Sample, cols []column) {
	goals := reachGoals(r, p.Name)
	maxV := 0.0
	for _, s := range ss {
		maxV = math.Max(maxV, s.Value)
	}
	for _, g := range goals {
		if g.threshold != nil {
			maxV = math.Max(maxV, g.threshold.Value)
		}
	}
	max := niceCeil(math.Max(maxV*1.1, 1))
	yAxis(b, max, func(v float64) string { return trimFloat(fmt.Sprintf("%.3g", v)) })
	var d strings.Builder
	if len(ss) <= 2*len(cols) {
		first := true
		for _, s := range ss {
			if s.Start < sc.t0 || s.Start > sc.t1 {
				continue
			}
			x, y := sc.x(s.Start), yOf(s.Value, max)
			if first {
				fmt.Fprintf(&d, "M%s %s", f1(x), f1(y))
				first = false
			} else {
				fmt.Fprintf(&d, "H%sV%s", f1(x), f1(y))
			}
		}
		if !first {
			fmt.Fprintf(&d, "H%s", f1(sc.x(sc.t1)))
		}
	} else {
		for i, c := range cols {
			if c.n == 0 {
				continue
			}
			x := plotLeft + float64(i) + 0.5
			y0, y1 := yOf(c.vMax, max), yOf(c.vMin, max)
			if y1-y0 < 1 {
				y1 = y0 + 1
			}
			fmt.Fprintf(&d, "M%s %sV%s", f1(x), f1(y0), f1(y1))
		}
	}
	fmt.Fprintf(b, `<path class="value" d="%s"><title>%s value</title></path>`+"\n", d.String(), svgText(p.Name))
	for i, g := range goals {
		cls := "pass"
		if !g.verdict.Passed {
			cls = "fail"
		}
		if g.threshold != nil {
			y := yOf(g.threshold.Value, max)
			fmt.Fprintf(b, `<line class="threshold %s" x1="%s" x2="%s" y1="%s" y2="%s"/><text class="goal-label" x="%s" y="%s" text-anchor="end">reaches %s</text>`+"\n",
				cls, f1(sc.x(g.anchor)), f1(plotLeft+plotWidth), f1(y), f1(y), f1(plotLeft+plotWidth-4), f1(y-3), svgText(g.threshold.Text))
		}
		x := sc.x(g.deadline)
		fmt.Fprintf(b, `<line class="deadline %s" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s</title></line><text class="goal-label" x="%s" y="%s">deadline T%+.3fs</text>`+"\n",
			cls, f2(x), f2(x), f1(chartPlotTop), f1(chartPlotTop+chartPlotH), svgText(g.verdict.Name), f1(x+3), f1(chartPlotTop+12+float64(i)*12), r.relT(g.deadline))
		if g.verdict.Passed {
			at := g.anchor + time.Duration(g.verdict.Value*float64(time.Second))
			y := chartPlotTop + chartPlotH - 4
			if g.threshold != nil {
				y = yOf(g.threshold.Value, max)
			}
			fmt.Fprintf(b, `<circle class="reached" cx="%s" cy="%s" r="4"><title>reached after %s</title></circle>`+"\n",
				f2(sc.x(at)), f1(y), svgText(g.verdict.Measured))
		}
	}
}

// failTicks marks the columns holding a failed sample under the plot.
func failTicks(b *strings.Builder, cols []column) {
	y := chartPlotTop + chartPlotH - 3
	for _, run := range runs(cols) {
		if run.state != stateDown {
			continue
		}
		fmt.Fprintf(b, `<rect class="down" x="%s" y="%s" width="%d" height="3"/>`, f1(plotLeft+float64(run.from)), f1(y), run.to-run.from)
	}
	b.WriteString("\n")
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	return niceStep(v)
}

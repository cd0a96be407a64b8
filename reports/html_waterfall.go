package reports

import (
	"fmt"
	"strings"
)

// Geometry of a waterfall drawing: labels left, bars on a time axis from
// the fault, the outcome in words right.
const (
	wfLeft     = 330.0
	wfWidth    = 560.0
	wfStatusX  = 925.0
	wfAxis     = 26.0
	wfRow      = 24.0
	wfBarH     = 14.0
	wfMinBarPx = 2.0 // a bar shorter than this is still drawn this wide
)

// waterfallSVG draws one fault's waterfall; n makes its ids unique on the
// page. Every bar carries its numbers as data attributes and a tooltip;
// its outcome is also written out beside it, so colour is never the only
// sign of a failure.
func waterfallSVG(w Waterfall, n int) string {
	span := w.Span
	if span <= 0 {
		span = 1
	}
	pps := wfWidth / span
	x := func(s float64) float64 { return wfLeft + s*pps }
	height := wfAxis + float64(len(w.Bars))*wfRow + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="wf" id="waterfall-%d" data-step="%s" viewBox="0 0 %s %s" data-left="%s" data-width="%s" data-span="%s" data-px-per-s="%s" role="img" aria-label="recovery after %s">`+"\n",
		n, svgText(w.Step), f1(svgWidth), f1(height), f1(wfLeft), f1(wfWidth), trimFloat(fmt.Sprintf("%.6f", span)),
		trimFloat(fmt.Sprintf("%.6f", pps)), svgText(w.Step))
	fmt.Fprintf(&b, `<defs><pattern id="wf-hatch-%d" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fce8e6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d93025" stroke-width="3"/></pattern></defs>`+"\n", n)
	bottom := height - 4
	// Axis: seconds after the fault.
	step := niceStep(span / 8)
	fmt.Fprintf(&b, `<g class="axis"><line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(wfLeft), f1(wfLeft+wfWidth), f1(wfAxis-4), f1(wfAxis-4))
	for v := 0.0; v <= span+1e-9; v += step {
		fmt.Fprintf(&b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="12" text-anchor="middle">%ss</text>`,
			f1(x(v)), f1(x(v)), f1(wfAxis-4), f1(bottom), f1(x(v)), tickText(v, step))
	}
	fmt.Fprintf(&b, `<text x="%s" y="12" text-anchor="end">seconds after %s</text><text x="%s" y="12">outcome</text></g>`+"\n",
		f1(wfLeft-22), svgText(w.Step), f1(wfStatusX))
	for i, bar := range w.Bars {
		y := wfAxis + float64(i)*wfRow
		cls := barClass(bar)
		fmt.Fprintf(&b, `<g class="wf-row" data-row="%d"><text class="wf-label" x="%s" y="%s" text-anchor="end">%s</text>`,
			i, f1(wfLeft-8), f1(y+wfRow/2+4), svgText(rowLabel(bar)))
		mid := y + (wfRow-wfBarH)/2
		if bar.Drawn() {
			bx, bw := x(bar.From), (bar.To-bar.From)*pps
			if bw < wfMinBarPx {
				bw = wfMinBarPx
			}
			fill := ""
			if bar.State == BarUnreached {
				fill = fmt.Sprintf(` fill="url(#wf-hatch-%d)"`, n)
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"%s data-label="%s" data-state="%s" data-from="%s" data-to="%s"`,
				cls, f2(bx), f1(mid), f2(bw), f1(wfBarH), fill, svgText(bar.Label), bar.State,
				trimFloat(fmt.Sprintf("%.6f", bar.From)), trimFloat(fmt.Sprintf("%.6f", bar.To)))
			if bar.HasBound {
				fmt.Fprintf(&b, ` data-bound="%s"`, trimFloat(fmt.Sprintf("%.6f", bar.Bound)))
			}
			fmt.Fprintf(&b, `><title>%s</title></rect>`, svgText(barTitle(bar)))
		} else {
			fmt.Fprintf(&b, `<text class="wf-none" x="%s" y="%s">%s</text>`, f1(wfLeft+4), f1(y+wfRow/2+4), svgText(noBarText(bar)))
		}
		if bar.HasBound && bar.Drawn() {
			bx := x(bar.Bound)
			pf := "met"
			if bar.Failed() {
				pf = "missed"
			}
			fmt.Fprintf(&b, `<line class="wf-bound %s" x1="%s" x2="%s" y1="%s" y2="%s" data-label="%s" data-bound="%s"><title>bound: %s</title></line>`,
				pf, f2(bx), f2(bx), f1(y+1), f1(y+wfRow-1), svgText(bar.Label),
				trimFloat(fmt.Sprintf("%.6f", bar.Bound)), svgText(bar.BoundText))
			fmt.Fprintf(&b, `<path class="wf-bound-tip %s" d="M%s %s l-4 -5 h8 z"/>`, pf, f2(bx), f1(y+4))
		}
		fmt.Fprintf(&b, `<text class="wf-status %s" x="%s" y="%s">%s</text></g>`+"\n",
			statusClass(bar), f1(wfStatusX), f1(y+wfRow/2+4), svgText(statusText(bar)))
	}
	b.WriteString("</svg>")
	return b.String()
}

func barClass(b Bar) string {
	switch b.State {
	case BarUnreached:
		return "wf-bar unreached"
	case BarAction:
		if b.Failed() {
			return "wf-bar action failed"
		}
	}
	return "wf-bar " + b.State
}

func statusClass(b Bar) string {
	switch {
	case b.State == BarFault || b.State == BarAction && !b.Failed():
		return "neutral"
	case b.Failed():
		return "bad"
	}
	return "good"
}

func rowLabel(b Bar) string {
	if b.After != "" {
		return b.Label + " after " + b.After
	}
	return b.Label
}

// statusText is the outcome beside a bar: measured time and verdict.
func statusText(b Bar) string {
	switch b.State {
	case BarFault:
		if b.Detail != "" {
			return b.Measured
		}
		return "held " + b.Measured
	case BarAction:
		if b.Detail != "" {
			return "FAILED after " + b.Measured
		}
		return "ran " + b.Measured
	case BarPass:
		return "✓ " + b.Measured + " — within " + b.boundDur()
	case BarLate:
		return "✗ " + b.Measured + " — LATE, bound " + b.boundDur()
	case BarUnreached:
		return "✗ NOT REACHED (" + b.Measured + ")"
	}
	return "✗ NOT MEASURED"
}

func noBarText(b Bar) string {
	if b.Detail != "" {
		return "not measured: " + b.Detail
	}
	return "not measured"
}

func barTitle(b Bar) string {
	t := fmt.Sprintf("%s: %s to %s after the fault; %s", rowLabel(b), offset(b.From), offset(b.To), statusText(b))
	if b.BoundText != "" {
		t += "; bound " + b.BoundText
	}
	if b.Detail != "" {
		t += " (" + b.Detail + ")"
	}
	return t
}

// waterfallTitle heads one waterfall in the page.
func waterfallTitle(w Waterfall) string {
	if !w.Ran {
		return fmt.Sprintf("%s (%s) did not run: nothing to measure from", w.Step, w.Kind)
	}
	return fmt.Sprintf("%s (%s), injected at T%+.3fs", w.Step, w.Kind, w.At)
}

package reports

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes summary.md: verdict first, failed bounds with their
// measured values, then every verdict, the steps as a text timeline and
// the probes. No links, so it reads the same in a CI job summary and a
// merge-request comment.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	icon := map[bool]string{true: "✅", false: "❌"}
	fmt.Fprintf(&b, "## %s %s\n\n", icon[r.Exit == 0], mdEscape(r.Headline()))
	if r.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(r.Description))
	}
	var failed []string
	for _, v := range r.Verdicts {
		if !v.Passed {
			line := fmt.Sprintf("- **%s**: measured **%s**, bound `%s`", mdEscape(v.Name), v.Measured, v.Bound)
			if v.Detail != "" {
				line += " (" + mdEscape(v.Detail) + ")"
			}
			failed = append(failed, line)
		}
	}
	if len(failed) > 0 {
		b.WriteString("### Failed\n\n" + strings.Join(failed, "\n") + "\n\n")
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "**Error:** %s\n\n", mdEscape(r.Error))
	}
	b.WriteString("### Verifications\n\n| | verification | bound | measured |\n|---|---|---|---|\n")
	for _, v := range r.Verdicts {
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", icon[v.Passed], mdEscape(v.Name), v.Bound, v.Measured)
	}
	writeRecovery(&b, Waterfalls(r))
	b.WriteString("\n### Timeline\n\n```\n")
	b.WriteString(TextTimeline(r))
	b.WriteString("```\n\n### Probes\n\n| probe | samples | availability | longest outage | outages |\n|---|---|---|---|---|\n")
	for _, p := range r.Probes {
		fmt.Fprintf(&b, "| %s | %d | %.3f%% | %s | %d |\n", mdEscape(p.Name), p.Samples, p.Availability, secs(p.MaxOutage), p.OutageCount)
	}
	if len(r.Hosts) > 0 {
		b.WriteString("\n### Hosts\n\n| host | reached as | clock error | probes |\n|---|---|---|---|\n")
		for _, h := range r.Hosts {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(h.Name), mdEscape(h.Address), clockErr(h.ClockError), mdEscape(strings.Join(h.Probes, ", ")))
		}
		b.WriteString("\nTimes from a host are mapped onto this machine's clock; the clock error bounds how far they may be off.\n")
	}
	host := ""
	if r.Host != "" {
		host = " on " + mdEscape(r.Host)
	}
	fmt.Fprintf(&b, "\nRun `%s`%s, %s.\n", r.Run, host, r.Started.UTC().Format("2006-01-02 15:04:05 MST"))
	_, err := io.WriteString(w, b.String())
	return err
}

func tAt(s float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("T%+.3fs", s)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// textBarCells is the width of a Markdown waterfall bar, in characters.
const textBarCells = 32

// writeRecovery writes the waterfalls as tables, each row with a bar of
// characters scaled to the longest row: █ reached, ▒ not reached by the
// last sample, ▓ the fault or an action, ┃ the bound.
func writeRecovery(b *strings.Builder, wfs []Waterfall) {
	if len(wfs) == 0 {
		return
	}
	b.WriteString("\n### Recovery\n\nSeconds from each fault's inject, in the order things recovered; " +
		"bars scaled to the longest: █ reached, ▒ not reached by the last sample, ▓ the fault or an action, ┃ the bound.\n")
	for _, w := range wfs {
		if w.Ran {
			fmt.Fprintf(b, "\n**%s** (`%s`), injected at T%+.3fs:\n\n", mdEscape(w.Step), w.Kind, w.At)
		} else {
			fmt.Fprintf(b, "\n**%s** (`%s`) did not run: nothing to measure from.\n\n", mdEscape(w.Step), w.Kind)
		}
		b.WriteString("| outcome | what | after | from fault | bound | measured | |\n|---|---|---|---|---|---|---|\n")
		for _, bar := range w.Bars {
			span, after := "—", "—"
			if bar.Drawn() {
				span = offset(bar.From) + " → " + offset(bar.To)
			}
			if bar.After != "" {
				after = mdEscape(bar.After)
			}
			bound := "—"
			if bar.BoundText != "" {
				bound = "`" + bar.BoundText + "`"
			}
			if bar.HasBound {
				bound += " (" + offset(bar.Bound) + ")"
			}
			outcome := bar.StateText()
			switch {
			case bar.State == BarFault || bar.State == BarAction && !bar.Failed():
			case bar.Failed():
				outcome = "❌ " + outcome
			default:
				outcome = "✅ " + outcome
			}
			measured := bar.Measured
			if bar.Detail != "" && bar.Failed() {
				measured += " (" + mdEscape(bar.Detail) + ")"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | `%s` |\n", outcome, mdEscape(bar.Label), after, span, bound, measured, textBar(bar, w.Span))
		}
	}
}

// textBar draws a bar over span seconds in textBarCells characters.
func textBar(bar Bar, span float64) string {
	cells := []rune(strings.Repeat("░", textBarCells))
	if span <= 0 {
		span = 1
	}
	cell := func(s float64) int {
		i := int(s / span * textBarCells)
		return max(0, min(textBarCells-1, i))
	}
	if bar.Drawn() {
		fill := '█'
		switch bar.State {
		case BarUnreached:
			fill = '▒'
		case BarFault, BarAction:
			fill = '▓'
		}
		to := cell(bar.To)
		if bar.To > bar.From && float64(to)*span/textBarCells == bar.To && to > cell(bar.From) {
			to-- // a bar ending on a cell boundary does not spill into the next
		}
		for i := cell(bar.From); i <= to; i++ {
			cells[i] = fill
		}
	}
	if bar.HasBound {
		cells[cell(bar.Bound)] = '┃'
	}
	return string(cells)
}

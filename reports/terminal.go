package reports

import (
	"fmt"
	"io"
)

// WriteVerdicts prints the terminal's verdict table at the end of a run:
// one line per assertion, one per probe, and the headline.
func WriteVerdicts(w io.Writer, r *Report) {
	fmt.Fprintln(w)
	width := 0
	for _, v := range r.Verdicts {
		if len(v.Name) > width {
			width = len(v.Name)
		}
	}
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Passed {
			mark = "FAIL"
		}
		line := fmt.Sprintf("  %s  %-*s  measured %-10s bound %s", mark, width, v.Name, v.Measured, v.Bound)
		if !v.Passed && v.Detail != "" {
			line += "  (" + v.Detail + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, p := range r.Probes {
		fmt.Fprintf(w, "  probe %-12s %d samples, availability %.3f%%, longest outage %.3fs, %d outages\n",
			p.Name, p.Samples, p.Availability, p.MaxOutage, p.OutageCount)
	}
	fmt.Fprintln(w, r.Headline())
}

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
	b.WriteString("\n### Timeline\n\n```\n")
	b.WriteString(TextTimeline(r))
	b.WriteString("```\n\n### Probes\n\n| probe | samples | availability | longest outage | outages |\n|---|---|---|---|---|\n")
	for _, p := range r.Probes {
		fmt.Fprintf(&b, "| %s | %d | %.3f%% | %s | %d |\n", mdEscape(p.Name), p.Samples, p.Availability, secs(p.MaxOutage), p.OutageCount)
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

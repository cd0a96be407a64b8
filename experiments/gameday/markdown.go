package gameday

import (
	"fmt"
	"io"
	"strings"
)

// Headline is the game day's one-line verdict.
func (s *Summary) Headline() string {
	ran, passed := 0, 0
	for _, e := range s.Experiments {
		if e.Ran() {
			ran++
		}
		if e.Status == StatusPassed {
			passed++
		}
	}
	h := fmt.Sprintf("%s: game day %s, %d of %d experiments passed (exit %d)",
		strings.ToUpper(s.Status), s.GameDay, passed, len(s.Experiments), s.Exit)
	if s.Message != "" {
		h += ": " + s.Message
	}
	return h
}

// WriteMarkdown writes the game day's summary.md: the verdict, one row
// per experiment, and each failed bound with its measured value.
func WriteMarkdown(w io.Writer, s *Summary) error {
	var b strings.Builder
	icon := "✅"
	if s.Exit != 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s %s\n\n", icon, s.Headline())
	fmt.Fprintf(&b, "Run `%s` on %s, %s; window: %s.\n\n", s.Run, s.Host, s.Started.UTC().Format("2006-01-02 15:04:05 MST"), s.Window)
	b.WriteString("| # | experiment | status | exit | duration | detail |\n|---|---|---|---|---|---|\n")
	for i, e := range s.Experiments {
		detail := e.Headline
		if e.Error != "" && (detail == "" || !e.Ran()) {
			detail = firstLine(e.Error)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %.1fs | %s |\n", i+1, e.Name, e.Status, e.Exit, e.Duration, mdCell(detail))
	}
	var failed []string
	for _, e := range s.Experiments {
		for _, v := range e.Verdicts {
			if !v.Passed {
				failed = append(failed, fmt.Sprintf("- **%s** %s: measured **%s**, bound `%s`", e.Name, v.Name, v.Measured, v.Bound))
			}
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n### Failed\n\n" + strings.Join(failed, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

package reports

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/faultline/faultline/internal/verify"
)

// HTMLOptions are the optional parts of the HTML report.
type HTMLOptions struct {
	// Baseline adds a section comparing this run with an earlier one.
	Baseline *Comparison
}

// WriteHTML writes report.html: one self-contained page (inline CSS, SVG
// and a few lines of script; nothing fetched) that opens straight from a
// CI artifact. It shows the verdicts, a timeline of steps and probe
// outages, a chart per probe, the plan and the environment. Drawings are
// downsampled to one column per pixel, so an hour of 1 ms samples stays
// small; every outage is still drawn, at least minOutagePx wide.
func WriteHTML(w io.Writer, r *Report, opts HTMLOptions) error {
	sc := newScale(r.tl)
	d := htmlData{R: r, Headline: r.Headline(), Timeline: template.HTML(timelineSVG(r, sc)), Cmp: opts.Baseline,
		Started: r.Started.UTC().Format("2006-01-02 15:04:05 MST"), TextTimeline: TextTimeline(r)}
	d.OK = r.Exit == 0
	for _, v := range r.Verdicts {
		if !v.Passed {
			d.Failed = append(d.Failed, v)
		}
	}
	for _, p := range r.Probes {
		d.Charts = append(d.Charts, htmlChart{Probe: p, SVG: template.HTML(chartSVG(r, sc, p)), Counting: countingProbe(p.Kind)})
	}
	for i, w := range Waterfalls(r) {
		d.Waterfalls = append(d.Waterfalls, htmlWaterfall{Title: waterfallTitle(w), SVG: template.HTML(waterfallSVG(w, i))})
	}
	d.Steps = planRows(r)
	for k, v := range r.Labels {
		d.Labels = append(d.Labels, k+"="+v)
	}
	sort.Strings(d.Labels)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTemplate().Execute(bw, d); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return bw.Flush()
}

type htmlData struct {
	R            *Report
	OK           bool
	Headline     string
	Started      string
	Labels       []string
	Failed       []verify.Verdict
	Timeline     template.HTML
	TextTimeline string
	Charts       []htmlChart
	Waterfalls   []htmlWaterfall
	Steps        []planRow
	Cmp          *Comparison
}

type htmlWaterfall struct {
	Title string
	SVG   template.HTML
}

type htmlChart struct {
	Probe    Probe
	SVG      template.HTML
	Counting bool
}

// planRow is a step as planned and as it ran.
type planRow struct {
	Name, Kind, Desc, Planned, Revert, Ran, Error string
	Targets                                       []string
}

func planRows(r *Report) []planRow {
	var out []planRow
	for _, st := range r.Steps {
		row := planRow{Name: st.Name, Kind: st.Kind, Desc: st.Desc, Error: st.Error, Revert: "auto"}
		if r.exp != nil {
			for _, s := range r.exp.Steps {
				if s == nil || s.Name != st.Name {
					continue
				}
				switch {
				case s.At != nil:
					row.Planned = "at " + s.At.String()
				default:
					row.Planned = "wait " + s.Wait.String() + " after the previous step"
				}
				if s.Action != "" {
					row.Revert = "— (action)"
				} else {
					if d := s.Duration.D(); d > 0 {
						row.Planned += ", for " + d.String()
					} else {
						row.Planned += ", held to the end"
					}
					if !s.RevertAuto() {
						row.Revert = "never"
					}
				}
			}
		}
		switch {
		case !st.Injected:
			row.Ran = "did not run"
		case st.Reverted:
			row.Ran = fmt.Sprintf("T%+.3fs to T%+.3fs (%s)", st.At, st.End, secs(st.End-st.At))
		default:
			row.Ran = fmt.Sprintf("T%+.3fs, held to the end", st.At)
		}
		out = append(out, row)
	}
	return out
}

// pageTemplate is parsed when a report is first rendered, not at the start
// of every command.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"pct":      func(v float64) string { return fmt.Sprintf("%.3f%%", v) },
		"secs":     secs,
		"clockErr": clockErr,
		"ms":       func(s float64) string { return fmt.Sprintf("%.3f ms", s*1000) },
		"win": func(r *Report, w verify.Phase) string {
			if w.To == 0 && w.From == 0 {
				return "—"
			}
			return fmt.Sprintf("T%+.3fs … T%+.3fs", r.relT(w.From), r.relT(w.To))
		},
		"join":   strings.Join,
		"target": func(t fmt.Stringer) string { return t.String() },
	}).Parse(pageHTML))
})

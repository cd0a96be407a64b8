package gameday

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
)

// pageStyle is shared by the index and the history page: both are single
// self-contained files (no scripts, no external assets).
const pageStyle = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.passed{color:#176f2c}.failed,.error,.invalid{color:#b00020}.aborted,.refused,.skipped{color:#8a5a00}
code{background:#f4f4f4;padding:0 .2em}a{color:#0645ad}`

var indexTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>game day {{.S.GameDay}}</title>
<style>` + pageStyle + `</style></head><body>
<h1 class="{{.S.Status}}">{{.S.Headline}}</h1>
<p>Run <code>{{.S.Run}}</code> on {{.S.Host}}, started {{.S.Started.UTC.Format "2006-01-02 15:04:05 MST"}}, {{printf "%.1f" .S.Duration}} s. Window: {{.S.Window}}.
Merged JUnit: <a href="junit.xml">junit.xml</a>, summary: <a href="summary.md">summary.md</a>, <a href="summary.json">summary.json</a>.</p>
<table><tr><th>#</th><th>experiment</th><th>status</th><th>exit</th><th>duration</th><th>verdict</th><th>reports</th></tr>
{{range $i, $e := .Rows}}<tr><td>{{$e.N}}</td><td>{{$e.Name}}</td><td class="{{$e.Status}}">{{$e.Status}}</td><td>{{$e.Exit}}</td>
<td>{{printf "%.1f" $e.Duration}} s</td><td>{{$e.Detail}}</td>
<td>{{range $e.Links}}<a href="{{.Href}}">{{.Text}}</a> {{end}}</td></tr>
{{end}}</table></body></html>
`))
})

type indexLink struct{ Href, Text string }

type indexRow struct {
	N                    int
	Name, Status, Detail string
	Exit                 int
	Duration             float64
	Links                []indexLink
}

// WriteHTMLIndex writes index.html: one row per experiment, linking the
// reports that exist in its directory under dir.
func WriteHTMLIndex(w io.Writer, s *Summary, dir string) error {
	var rows []indexRow
	for i, e := range s.Experiments {
		r := indexRow{N: i + 1, Name: e.Name, Status: e.Status, Exit: e.Exit, Duration: e.Duration, Detail: e.Headline}
		if e.Error != "" && (r.Detail == "" || !e.Ran()) {
			r.Detail = firstLine(e.Error)
		}
		if e.Dir != "" {
			for _, f := range []string{"report.html", "summary.md", "report.json", "junit.xml"} {
				if _, err := os.Stat(filepath.Join(dir, e.Dir, f)); err == nil {
					r.Links = append(r.Links, indexLink{Href: path.Join(e.Dir, f), Text: f})
				}
			}
		}
		rows = append(rows, r)
	}
	if err := indexTmpl().Execute(w, struct {
		S    *Summary
		Rows []indexRow
	}{s, rows}); err != nil {
		return fmt.Errorf("index.html: %w", err)
	}
	return nil
}

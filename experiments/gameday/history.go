package gameday

import (
	"html/template"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/session"
)

// HistoryRun is one directory of a history.
type HistoryRun struct {
	Dir     string
	Summary *Summary // nil while running, or when the run was killed
	ModTime time.Time
}

// ListHistory lists the runs of a history directory, newest first.
func ListHistory(dir string) ([]HistoryRun, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var runs []HistoryRun
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		hr := HistoryRun{Dir: e.Name()}
		if info, err := e.Info(); err == nil {
			hr.ModTime = info.ModTime()
		}
		if s, err := ReadSummary(filepath.Join(dir, e.Name(), "summary.json")); err == nil {
			hr.Summary = s
			hr.ModTime = s.Started
		}
		runs = append(runs, hr)
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].ModTime.After(runs[j].ModTime) })
	return runs, nil
}

var historyTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("history").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>faultline game days: {{.Name}}</title>
<style>` + pageStyle + `</style></head><body>
<h1>Game day {{.Name}}</h1>
{{if .Halted}}<p class="aborted"><strong>HALTED</strong>: {{.Halted}}. Scheduled runs are skipped until <code>faultline unhalt</code>.</p>{{end}}
<p>Schedule <code>{{.Schedule}}</code>, window {{.Window}}. {{len .Rows}} runs. <a href="/metrics">metrics</a></p>
<table><tr><th>started</th><th>run</th><th>status</th><th>exit</th><th>experiments</th></tr>
{{range .Rows}}<tr><td>{{.Started}}</td><td><a href="{{.Index}}">{{.Dir}}</a> (<a href="{{.JUnit}}">junit.xml</a>)</td>
<td class="{{.Status}}">{{.Status}}</td><td>{{.Exit}}</td>
<td>{{range .Exps}}{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}} {{end}}</td></tr>
{{end}}</table></body></html>
`))
})

type historyRow struct {
	Dir, Started, Status, Exit, Index, JUnit string
	Exps                                     []indexLink
}

// reportFiles are the only files the server hands out: reports and
// summaries. Journals (undo records, domain XML, command output), guard
// logs and anything else in the history stay on disk.
var reportFiles = map[string]bool{
	"index.html": true, "report.html": true, "report.json": true, "summary.json": true,
	"summary.md": true, "junit.xml": true,
}

// Handler serves / (the history page), the report files of the history
// directory below it (no directory listings, no other files), /metrics
// and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.SetHalted(session.Halted(s.opts.StateDir) != nil)
		_, _ = s.metrics.WriteTo(w)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			s.serveReport(w, r)
			return
		}
		s.historyPage(w)
	})
	return mux
}

// serveReport serves one report file of the history: a known report name,
// no hidden path element, no symbolic link on the way, a regular file.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request) {
	rel := path.Clean("/" + r.URL.Path)
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	for _, p := range parts {
		if p == "" || strings.HasPrefix(p, ".") {
			http.NotFound(w, r)
			return
		}
	}
	if !reportFiles[parts[len(parts)-1]] {
		http.NotFound(w, r)
		return
	}
	root, err := filepath.EvalSymlinks(s.opts.HistoryDir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	full := filepath.Join(append([]string{root}, parts...)...)
	if real, err := filepath.EvalSymlinks(full); err != nil || real != full {
		http.NotFound(w, r)
		return
	}
	f, err := os.OpenFile(full, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
}

func (s *Server) historyPage(w http.ResponseWriter) {
	runs, err := ListHistory(s.opts.HistoryDir)
	if err != nil && !os.IsNotExist(err) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var rows []historyRow
	for _, hr := range runs {
		row := historyRow{Dir: hr.Dir, Started: hr.ModTime.UTC().Format("2006-01-02 15:04:05 MST"),
			Index: "/" + hr.Dir + "/index.html", JUnit: "/" + hr.Dir + "/junit.xml", Status: "running or incomplete", Exit: "-"}
		if sum := hr.Summary; sum != nil {
			row.Status, row.Exit = sum.Status, strconv.Itoa(sum.Exit)
			for _, e := range sum.Experiments {
				l := indexLink{Text: e.Name + ": " + e.Status}
				if e.Dir != "" {
					for _, f := range []string{"report.html", "summary.md"} {
						if _, err := os.Stat(filepath.Join(s.opts.HistoryDir, hr.Dir, e.Dir, f)); err == nil {
							l.Href = "/" + path.Join(hr.Dir, e.Dir, f)
							break
						}
					}
				}
				row.Exps = append(row.Exps, l)
			}
		}
		rows = append(rows, row)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	halted := ""
	if h := session.Halted(s.opts.StateDir); h != nil {
		halted = h.String()
	}
	_ = historyTmpl().Execute(w, struct {
		Name, Schedule, Window, Halted string
		Rows                           []historyRow
	}{s.gd.File.Name, s.gd.File.Schedule, s.gd.Window.String(), halted, rows})
}

package reports_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
	"github.com/faultline/faultline/reports"
)

const hourYAML = `version: 1
name: hour-at-1khz
probes:
  web:
    http: {url: "http://198.18.10.100/", timeout: 100ms}
    every: 1ms
steadyState:
  - {probe: web, for: 1s}
steps:
  - name: cut
    fault: golden.fault
    at: 30m
    duration: 5s
verify:
  - {probe: web, maxOutage: 10s}
  - {probe: web, availability: ">= 99%"}
  - {probe: web, reaches: ok, within: 1s, after: cut.end}
  - {probe: web, latency: {p99: "< 5ms"}}
`

// hourJournal writes one hour of one probe sampled every 1 ms with the
// journal's own Writer: every failEvery-th sample fails (1000: 3,600
// outages of 1 ms) and a 5 s cut in the middle.
func hourJournal(b *testing.B, failEvery int) string {
	exp, err := experiments.Parse("hour.yaml", []byte(hourYAML))
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "journal.jsonl")
	w, err := journal.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Header(journal.Header{Run: "hour", Experiment: exp, Wall: time.Now(), Host: "bench"}); err != nil {
		b.Fatal(err)
	}
	w.SetInterval("web", time.Millisecond)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(w.Phase(journal.PhaseSteadyBefore, 0))
	undo := faults.Undo{Kind: "golden.fault", Params: []byte(`{}`)}
	const n = 3600 * 1000
	cutFrom, cutTo := 30*time.Minute+time.Second, 30*time.Minute+6*time.Second
	for k := 0; k < n; k++ {
		at := time.Duration(k) * time.Millisecond
		switch at {
		case time.Second:
			must(w.Phase(journal.PhaseMethod, at))
			must(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvPrepared, At: at, Kind: "golden.fault", Undo: &undo, Revert: "auto"}))
		case cutFrom:
			must(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvInjected, At: at}))
		case cutTo:
			must(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvReverted, At: at, By: "run"}))
		case time.Hour - 2*time.Second:
			must(w.Phase(journal.PhaseMethodEnd, at))
			must(w.Phase(journal.PhaseSteadyAfter, at))
		}
		start := at + time.Duration((k*7919)%40)*time.Microsecond
		ok := k%failEvery != failEvery-1 && (at < cutFrom || at >= cutTo+20*time.Millisecond)
		s := probes.Sample{Start: start, OK: ok, Value: 200, Latency: time.Duration(100+(k*104729)%300) * time.Microsecond}
		if !ok {
			s.Value, s.Latency, s.Detail = 0, 100*time.Millisecond, "timeout"
		}
		w.Sample("web", s)
	}
	must(w.Phase(journal.PhaseEnd, time.Hour))
	must(w.End(time.Hour, journal.StatusPassed, 0, ""))
	return p
}

// BenchmarkHTMLHourAt1kHz renders the HTML report of one hour of one
// probe at 1 kHz (goal: under 2 s and under 5 MB). render-s is Build plus
// WriteHTML from a journal already read; read-s is reading the journal.
// "blips" has 3,600 outages of 1 ms (each drawn as its own mark),
// "flapping" 360,000 (marks that would touch are grouped).
func BenchmarkHTMLHourAt1kHz(b *testing.B) {
	for _, c := range []struct {
		name      string
		failEvery int
	}{{"blips", 1000}, {"flapping", 10}} {
		b.Run(c.name, func(b *testing.B) { benchHTML(b, hourJournal(b, c.failEvery)) })
	}
}

var groupCount = regexp.MustCompile(`<rect class="outage-group" data-probe="web" data-count="([0-9]+)"`)

func benchHTML(b *testing.B, path string) {
	t0 := time.Now()
	run, err := journal.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	read := time.Since(t0)
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		rep := reports.Build(run)
		if err := reports.WriteHTML(&buf, rep, reports.HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The timeline draws the whole run, the steady-state checks included.
	outages := len(verify.Outages(run.Samples["web"], verify.Phase{From: 0, To: verify.TimelineOf(run).End}))
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "render-s")
	b.ReportMetric(read.Seconds(), "read-s")
	b.ReportMetric(float64(buf.Len())/1e6, "MB")
	b.ReportMetric(float64(outages), "outages")
	// Every outage is drawn: on a mark of its own or counted in a group.
	drawn := bytes.Count(buf.Bytes(), []byte(`<rect class="outage" data-probe="web"`))
	for _, m := range groupCount.FindAllSubmatch(buf.Bytes(), -1) {
		n, _ := strconv.Atoi(string(m[1]))
		drawn += n
	}
	if drawn != outages {
		b.Fatalf("%d outages drawn of %d", drawn, outages)
	}
}

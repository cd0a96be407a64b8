// Package reports renders a run's journal for people and CI: JSON, JUnit
// XML and Markdown (and, later, HTML). Every renderer starts from Build,
// which evaluates the journal with verify.Evaluate, so every format gives
// the verdict the run gave.
package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/verify"
)

// Report is everything a renderer shows.
type Report struct {
	Run         string            `json:"run"`
	Experiment  string            `json:"experiment"`
	File        string            `json:"file,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Status      string            `json:"status"`
	Exit        int               `json:"exit"`
	Error       string            `json:"error,omitempty"`
	Aborts      []string          `json:"aborts,omitempty"`
	Started     time.Time         `json:"started"`
	// Duration of the whole run in seconds.
	Duration float64 `json:"duration"`
	Host     string  `json:"host,omitempty"`
	Version  string  `json:"version,omitempty"`
	Kernel   string  `json:"kernel,omitempty"`
	Seed     int64   `json:"seed,omitempty"`
	// MethodStart is when the method began, seconds from the start of
	// probing; every other time in the report counts from it.
	MethodStart float64 `json:"methodStart"`
	// MethodEnd and End (probing stopped), seconds from the method start.
	MethodEnd float64          `json:"methodEnd"`
	End       float64          `json:"end"`
	Passed    bool             `json:"passed"`
	Verdicts  []verify.Verdict `json:"verdicts"`
	Steps     []Step           `json:"steps"`
	Probes    []Probe          `json:"probes"`
	Targets   []faults.Target  `json:"targets,omitempty"`
	// Hosts are the remote hosts the run reached, with their clock error.
	Hosts []Host `json:"hosts,omitempty"`

	// What the HTML timeline draws from: the experiment and every sample.
	exp *experiments.Experiment
	tl  verify.Timeline
}

// Step is one step's measured timeline, in seconds from the method start.
type Step struct {
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	Desc     string         `json:"desc,omitempty"`
	Injected bool           `json:"injected"`
	At       float64        `json:"at,omitempty"`
	Reverted bool           `json:"reverted"`
	End      float64        `json:"end,omitempty"`
	Error    string         `json:"error,omitempty"`
	Result   map[string]any `json:"result,omitempty"`
}

// Probe summarizes one probe over the whole run.
type Probe struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind,omitempty"`
	Every        float64 `json:"every,omitempty"` // seconds between samples
	Samples      int     `json:"samples"`
	OK           int     `json:"ok"`
	Availability float64 `json:"availability"` // percent over the method window
	MaxOutage    float64 `json:"maxOutage"`    // seconds
	OutageCount  int     `json:"outageCount"`  // every outage, listed or not
	Outages      []Span  `json:"outages,omitempty"`
}

// Span is an outage, seconds from the method start.
type Span struct {
	From    float64 `json:"from"`
	To      float64 `json:"to"`
	Seconds float64 `json:"seconds"`
	Samples int     `json:"samples,omitempty"` // failed samples in it
	Open    bool    `json:"open,omitempty"`
}

// maxListedOutages bounds the outages listed per probe in JSON.
const maxListedOutages = 200

// Build evaluates a journal into a report.
func Build(run *journal.Run) *Report {
	h := run.Header
	exp := h.Experiment
	tl := verify.TimelineOf(run)
	r := &Report{Run: h.Run, File: h.File, Started: h.Wall, Host: h.Host, Version: h.Version, Kernel: h.Kernel,
		Seed: h.Seed, Duration: tl.End.Seconds(), exp: exp, tl: tl}
	r.MethodStart = tl.MethodStart.Seconds()
	r.MethodEnd, r.End = (tl.MethodEnd - tl.MethodStart).Seconds(), (tl.End - tl.MethodStart).Seconds()
	if exp != nil {
		r.Experiment, r.Description, r.Labels = exp.Name, exp.Description, exp.Labels
		r.Verdicts = verify.Evaluate(exp, tl)
	}
	r.Passed = verify.Passed(r.Verdicts)
	r.Hosts = hostsOf(run)
	for _, a := range run.Aborts {
		r.Aborts = append(r.Aborts, a.Reason)
	}
	if run.End != nil {
		r.Status, r.Exit, r.Error = run.End.Status, run.End.Exit, run.End.Error
	} else {
		// A run that never finished (killed): say so; recover reverts it.
		r.Status, r.Exit = "incomplete", exitcode.Infra
		r.Error = "the journal has no end record: the run was killed or is still running; run `faultline recover`"
	}
	ms := tl.MethodStart
	rel := func(d time.Duration) float64 { return (d - ms).Seconds() }
	seenT := map[faults.Target]bool{}
	byName := map[string]*Step{}
	if exp != nil {
		for _, s := range exp.Steps {
			r.Steps = append(r.Steps, Step{Name: s.Name, Kind: s.Kind()})
		}
		for i := range r.Steps {
			byName[r.Steps[i].Name] = &r.Steps[i]
		}
	}
	for _, ev := range run.Steps {
		st := byName[ev.Step]
		if st == nil {
			continue
		}
		if ev.Desc != "" {
			st.Desc = ev.Desc
		}
		for _, t := range ev.Targets {
			if !seenT[t] {
				seenT[t] = true
				r.Targets = append(r.Targets, t)
			}
		}
		if ev.Result != nil {
			st.Result = ev.Result
		}
		if ev.Ev == journal.EvFailed {
			st.Error = ev.Error
		}
	}
	for name, t := range tl.Steps {
		st := byName[name]
		if st == nil {
			continue
		}
		if t.Injected {
			st.Injected, st.At = true, rel(t.Inject)
		}
		if t.Reverted {
			st.Reverted, st.End = true, rel(t.Revert)
		}
	}
	sort.Slice(r.Targets, func(i, j int) bool { return r.Targets[i].String() < r.Targets[j].String() })
	whole := verify.Phase{From: tl.MethodStart, To: tl.End}
	for _, name := range probeNames(run) {
		ss := tl.Samples[name]
		p := Probe{Name: name}
		if exp != nil && exp.Probes[name] != nil {
			def := exp.Probes[name]
			p.Kind, p.Every = def.Kind, def.Interval().Seconds()
		}
		n, ok := 0, 0
		for _, s := range ss {
			if s.Start >= whole.From && s.Start <= whole.To {
				n++
				if s.OK {
					ok++
				}
			}
		}
		p.Samples, p.OK = n, ok
		if n > 0 {
			p.Availability = 100 * float64(ok) / float64(n)
		}
		for _, o := range verify.Outages(ss, whole) {
			d := (o.To - o.From).Seconds()
			if d > p.MaxOutage {
				p.MaxOutage = d
			}
			p.OutageCount++
			if len(p.Outages) < maxListedOutages {
				p.Outages = append(p.Outages, Span{From: rel(o.From), To: rel(o.To), Seconds: d, Samples: o.Samples, Open: o.Open})
			}
		}
		r.Probes = append(r.Probes, p)
	}
	return r
}

func probeNames(run *journal.Run) []string {
	var names []string
	if exp := run.Header.Experiment; exp != nil {
		names = append(names, exp.ProbeOrder...)
		if len(names) == 0 {
			for n := range exp.Probes {
				names = append(names, n)
			}
			sort.Strings(names)
		}
	}
	if len(names) == 0 {
		for n := range run.Samples {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	return names
}

// Headline is the one-line verdict.
func (r *Report) Headline() string {
	failed := 0
	for _, v := range r.Verdicts {
		if !v.Passed {
			failed++
		}
	}
	switch r.Status {
	case journal.StatusPassed:
		return fmt.Sprintf("PASSED: %s, %d of %d verifications held (exit %d)", r.Experiment, len(r.Verdicts), len(r.Verdicts), r.Exit)
	case journal.StatusFailed:
		return fmt.Sprintf("FAILED: %s, %d of %d verifications failed (exit %d)", r.Experiment, failed, len(r.Verdicts), r.Exit)
	case journal.StatusAborted:
		return fmt.Sprintf("ABORTED: %s: %s (exit %d)", r.Experiment, strings.Join(r.Aborts, "; "), r.Exit)
	default:
		return fmt.Sprintf("%s: %s: %s (exit %d)", strings.ToUpper(r.Status), r.Experiment, r.Error, r.Exit)
	}
}

func secs(f float64) string { return fmt.Sprintf("%.3fs", f) }

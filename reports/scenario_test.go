package reports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
)

// scenarioYAML is the reference scenario in small: server A is axed, the
// web service has an outage, A's VM is remapped to C and the replica
// count comes back.
const scenarioYAML = `version: 1
name: kill-server-a
description: Server A dies; B carries on; A's VM is remapped to C.
labels: {team: platform, scenario: reference}
probes:
  web:
    http: {url: "http://198.18.10.100/", timeout: 100ms}
    every: 10ms
  db:
    tcp: {address: "198.18.10.100:5432", timeout: 50ms}
    every: 20ms
  replicas:
    libvirt: {uris: ["test:///default"], domains: "web-*"}
    every: 500ms
steadyState:
  - {probe: web, for: 800ms}
steps:
  - name: axe-a
    fault: scenario.hv.destroy
    at: 2s
    duration: 6s
  - name: remap-to-c
    action: scenario.domain.start
    wait: 1s
observe: 5s
verify:
  - {probe: web, maxOutage: 3s}
  - {probe: web, availability: ">= 50%", during: axe-a}
  - {probe: replicas, reaches: ">= 2", within: 5s, after: axe-a}
  - {probe: web, reaches: ok, within: 1s, after: axe-a.end}
  - {probe: web, latency: {p99: "< 50ms"}}
  - {probe: db, maxOutage: 500ms}
`

type nopAction struct{}

func (nopAction) Describe() string { return "start web-a on C" }
func (nopAction) Targets() []faults.Target {
	return []faults.Target{{Kind: "domain", ID: "hv-c/web-a"}}
}
func (nopAction) Run(context.Context) (faults.Result, error) {
	return faults.Result{}, nil
}

func init() {
	faults.Register(faults.Kind{Name: "scenario.hv.destroy", NewFault: func(json.RawMessage) (faults.Fault, error) { return nil, nil },
		Revert: func(context.Context, json.RawMessage) error { return nil }})
	faults.Register(faults.Kind{Name: "scenario.domain.start", NewAction: func(json.RawMessage) (faults.Action, error) { return nopAction{}, nil }})
}

// scenario shapes a generated run: slow stretches the web outage (a
// baseline and a slower run differ by it).
type scenario struct {
	slow float64
}

const ms = time.Millisecond

// Run-time layout (offsets from the start of probing): steady state from
// 0, method at 1s, axe-a 3s to 9s, remap-to-c 4s to 6.2s, web down from
// 3.005s for 2.2s (times slow) plus three short blips, db down 3.01s to
// 3.81s, replicas 2 -> 1 at 3s (the axe) -> 2 at 6.5s, method end 14s, end 15.5s.
func (sc scenario) write(dir string) string {
	exp, err := experiments.Parse("kill-server-a.yaml", []byte(scenarioYAML))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, "journal.jsonl")
	w, err := journal.Create(p)
	Expect(err).NotTo(HaveOccurred())
	id := "kill-server-a-run"
	if sc.slow != 1 {
		id = fmt.Sprintf("kill-server-a-x%g", sc.slow)
	}
	Expect(w.Header(journal.Header{Run: id, File: "kill-server-a.yaml", Experiment: exp,
		Wall: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Host: "lab-host", Version: "1.2.3", Kernel: "6.1.0-test", Seed: 42})).To(Succeed())
	w.SetInterval("web", 10*ms)
	w.SetInterval("db", 20*ms)
	w.SetInterval("replicas", 500*ms)
	Expect(w.Phase(journal.PhaseSteadyBefore, 0)).To(Succeed())
	undo := faults.Undo{Kind: "scenario.hv.destroy", Params: []byte(`{}`)}
	webDownTo := 3005*ms + time.Duration(2200*sc.slow)*ms
	blips := [][2]time.Duration{{7000 * ms, 7010 * ms}, {7500 * ms, 7510 * ms}, {12300 * ms, 12330 * ms}}
	events := map[time.Duration]func(){
		1000 * ms: func() { Expect(w.Phase(journal.PhaseMethod, 1000*ms)).To(Succeed()) },
		2900 * ms: func() {
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvPrepared, At: 2900 * ms, Kind: "scenario.hv.destroy",
				Desc: "destroy every domain on hv-a", Targets: []faults.Target{{Kind: "hypervisor", ID: "hv-a"}}, Undo: &undo, Revert: "auto"})).To(Succeed())
		},
		3000 * ms: func() {
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvInjected, At: 3000 * ms})).To(Succeed())
		},
		4000 * ms: func() {
			Expect(w.Step(journal.StepRec{Step: "remap-to-c", Ev: journal.EvStarted, At: 4000 * ms, Kind: "scenario.domain.start",
				Desc: "start web-a on C", Targets: []faults.Target{{Kind: "domain", ID: "hv-c/web-a"}}})).To(Succeed())
		},
		6200 * ms: func() {
			Expect(w.Step(journal.StepRec{Step: "remap-to-c", Ev: journal.EvDone, At: 6200 * ms})).To(Succeed())
		},
		9000 * ms: func() {
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvReverted, At: 9000 * ms, By: "run"})).To(Succeed())
		},
		14000 * ms: func() {
			Expect(w.Phase(journal.PhaseMethodEnd, 14000*ms)).To(Succeed())
			Expect(w.Phase(journal.PhaseSteadyAfter, 14000*ms)).To(Succeed())
		},
	}
	end := 15500 * ms
	for at := time.Duration(0); at <= end; at += 10 * ms {
		if ev := events[at]; ev != nil {
			ev()
		}
		// web, every 10ms, 4ms into each tick.
		start := at + 4*ms + ms
		down := start >= 3005*ms && start < webDownTo
		for _, b := range blips {
			down = down || (start >= b[0] && start < b[1])
		}
		lat := time.Duration(2000+(int(at/ms)*7919)%3000) * time.Microsecond
		if start > webDownTo && start < webDownTo+800*ms {
			lat += 15 * ms // warming up after the failover
		}
		s := probes.Sample{Start: start, OK: !down, Value: 200, Latency: lat}
		if down {
			s = probes.Sample{Start: start, Value: 0, Latency: 100 * ms, Detail: "timeout after 100ms"}
		}
		w.Sample("web", s)
		if at%(20*ms) == 0 {
			start := at + 2*ms
			down := start >= 3010*ms && start < 3810*ms
			s := probes.Sample{Start: start, OK: !down, Value: 1, Latency: time.Duration(300+(int(at/ms)*104729)%500) * time.Microsecond}
			if down {
				s = probes.Sample{Start: start, Value: 0, Latency: 50 * ms, Detail: "connect: connection refused"}
			}
			w.Sample("db", s)
		}
		if at%(500*ms) == 0 {
			v := 2.0
			if at >= 3000*ms && at < 6500*ms {
				v = 1
			}
			w.Sample("replicas", probes.Sample{Start: at + 3*ms, OK: true, Value: v, Latency: 8 * ms})
		}
	}
	Expect(w.Phase(journal.PhaseEnd, end)).To(Succeed())
	Expect(w.End(end, journal.StatusFailed, 1, "")).To(Succeed())
	return p
}

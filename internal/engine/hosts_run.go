package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/remote"
)

// startHostProbes has each host's agent sample the probes that run
// there; samples come back on this machine's clock, into the journal as
// local ones do. The returned stop ends them all.
func (r *runner) startHostProbes(ctx context.Context) (stop func(), err error) {
	byHost := map[string][]remote.ProbeSpec{}
	var order []string
	for _, p := range r.plan.Probes {
		if p.Host == "" {
			continue
		}
		if _, ok := byHost[p.Host]; !ok {
			order = append(order, p.Host)
		}
		byHost[p.Host] = append(byHost[p.Host], remote.ProbeSpec{Name: p.Name, Def: p.Def})
	}
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, h := range order {
		ex, ok := r.hostExec(h)
		if !ok {
			stopAll()
			return nil, fmt.Errorf("probes on host %s: no session", h)
		}
		s, err := ex.StartProbes(ctx, r.base, byHost[h], r.emit)
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("probes on host %s: %w", h, err)
		}
		stops = append(stops, s)
	}
	return stopAll, nil
}

func (r *runner) hostExec(name string) (remote.Executor, bool) { return r.plan.hostExec(name) }

// watchHosts aborts the run, as a lost guard does, when a host's agent
// is lost: the host reverts what it holds on its own (its lease), and
// the run reverts everything else.
func (r *runner) watchHosts(done <-chan struct{}) {
	if r.plan.Hosts == nil {
		return
	}
	for _, ex := range r.plan.Hosts.Execs {
		lost := ex.Lost()
		if lost == nil {
			continue
		}
		go func() {
			select {
			case err := <-lost:
				r.abort(fmt.Sprintf("host %s lost: %v", ex.Name(), err))
			case <-done:
			}
		}()
	}
}

// HostRec is the journal's record of one host at the end of a run.
type HostRec = journal.HostRec

// HostRecords describes every host session of a plan.
func HostRecords(h *Hosts) []HostRec {
	if h == nil {
		return nil
	}
	var out []HostRec
	for _, name := range sortedNames(h.Execs) {
		ex := h.Execs[name]
		c := ex.Clock()
		r := HostRec{T: "host", Host: name, Addr: h.Addr[name], ClockError: c.Error, ClockWorst: c.Worst,
			Offset: c.Offset, RTT: c.RTT, Samples: c.Samples}
		if hx, ok := ex.(remote.Host); ok {
			a := hx.Agent()
			r.AgentPID, r.Journal = a.PID, a.Journal
		}
		out = append(out, r)
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// journalHosts writes a HostRec per host (readers skip record types they
// do not know).
func (r *runner) journalHosts() {
	for _, rec := range HostRecords(r.plan.Hosts) {
		_ = r.jw.Record(rec, false)
	}
}

// preflightHostProbes starts each probe that runs on a host once and
// stops it: the host's agent refuses one it cannot run there (a missing
// namespace, a kind it lacks), and the plan stops with the host named.
func (p *Plan) preflightHostProbes(ctx context.Context) []string {
	var errs []string
	for _, pr := range p.Probes {
		if pr.Host == "" {
			continue
		}
		ex, ok := p.hostExec(pr.Host)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: probe %s: host %s: no session", p.Exp.File, pr.Name, pr.Host))
			continue
		}
		stop, err := ex.StartProbes(ctx, time.Now(), []remote.ProbeSpec{{Name: pr.Name, Def: pr.Def}}, func(string, probes.Sample) {})
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: probe %s: %v", p.Exp.File, pr.Name, err))
			continue
		}
		stop()
	}
	return errs
}

func (p *Plan) hostExec(name string) (remote.Executor, bool) {
	if p.Hosts == nil {
		return nil, false
	}
	ex, ok := p.Hosts.Execs[name]
	return ex, ok
}

// journalHostStamps records, for a step on hosts, when it happened on
// each of them (readers skip record types they do not know).
func (r *runner) journalHostStamps(f any, step, ev string) {
	hf, ok := f.(*hostsFault)
	if !ok {
		return
	}
	for _, rec := range hf.stamps(step, ev, r.base) {
		_ = r.jw.Record(rec, false)
	}
}

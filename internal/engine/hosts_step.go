package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/remote"
)

// hostsUndoKind is the kind of the controller's undo record of a step
// that runs on hosts: one remote.UndoKind record per host. Each host's
// lease and guard revert it there; `faultline recover` on the controller
// sends each record back to its host.
const hostsUndoKind = "remote.hosts"

// hostsUndo is the parameters of a hostsUndoKind record.
type hostsUndo struct {
	Records []faults.Undo `json:"records"` // each of kind remote.UndoKind
}

// hostsFault is one step on its selected hosts: every operation runs on
// all of them at once, so a step `on:` N hosts lands on N hosts at the
// same moment; its targets carry the host names.
type hostsFault struct {
	fs    []faults.Fault
	hosts []string // fs[i] runs on hosts[i]

	arm      sync.Mutex
	armed    *arming       // sent ahead to the hosts (ArmAt)
	prepTook time.Duration // how long Prepare took on all hosts
}

// buildStepOnHosts builds a step on every host its `on:` selected.
func buildStepOnHosts(ctx context.Context, st *experiments.Step, expName, runID string, hosts *Hosts) (*PlannedStep, error) {
	if hosts == nil {
		return nil, fmt.Errorf("runs on %s: no sessions with hosts", strings.Join(st.Hosts, ", "))
	}
	execs := hosts.Execs
	with := st.With
	if with == nil {
		with = map[string]any{}
	}
	params, err := json.Marshal(with)
	if err != nil {
		return nil, fmt.Errorf("with: %w", err)
	}
	spec := remote.StepSpec{Name: st.Name, Kind: st.Kind(), Params: params, Experiment: expName, RunID: runID, Revert: revertMode(st)}
	ps := &PlannedStep{Step: st}
	var fs []faults.Fault
	var as []faults.Action
	var errs []error
	for _, h := range st.Hosts {
		ex, ok := execs[h]
		if !ok {
			errs = append(errs, fmt.Errorf("host %s: no session (hosts are reached before planning)", h))
			continue
		}
		if st.Fault != "" {
			f, err := ex.NewFault(ctx, spec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			fs = append(fs, f)
		} else {
			a, err := ex.NewAction(ctx, spec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			as = append(as, a)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if st.Fault != "" {
		ps.Fault = &hostsFault{fs: fs, hosts: st.Hosts}
	} else {
		ps.Action = &hostsAction{as: as, hosts: st.Hosts}
	}
	return ps, nil
}

// each runs fn on every part at once and joins the errors.
func each(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(i) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (h *hostsFault) Describe() string {
	d := make([]string, len(h.fs))
	for i, f := range h.fs {
		d[i] = f.Describe()
	}
	return strings.Join(d, "; ")
}

func (h *hostsFault) Targets() []faults.Target {
	var ts []faults.Target
	for _, f := range h.fs {
		ts = append(ts, f.Targets()...)
	}
	return ts
}

func (h *hostsFault) Preflight(ctx context.Context) error {
	return each(len(h.fs), func(i int) error {
		if p, ok := h.fs[i].(faults.Preflighter); ok {
			return p.Preflight(ctx)
		}
		return nil
	})
}

func (h *hostsFault) Prepare(ctx context.Context) (faults.Undo, error) {
	recs := make([]faults.Undo, len(h.fs))
	t0 := time.Now()
	if err := each(len(h.fs), func(i int) (err error) {
		recs[i], err = h.fs[i].Prepare(ctx)
		return err
	}); err != nil {
		return faults.Undo{}, err
	}
	h.prepTook = time.Since(t0)
	b, err := json.Marshal(hostsUndo{Records: recs})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: hostsUndoKind, Params: b}, nil
}

func (h *hostsFault) Inject(ctx context.Context) error {
	if ok, err := h.injectArmed(ctx); ok {
		return err
	}
	return each(len(h.fs), func(i int) error { return h.fs[i].Inject(ctx) })
}

// hostStamper is a fault on a host that knows, on this machine's clock,
// when its inject began and ended there (remote.Fault).
type hostStamper interface {
	InjectedAt(base time.Time) (start, done time.Duration)
	RevertedAt(base time.Time) (start, done time.Duration)
}

// HostStampRec is the journal's record of when a step's inject or revert
// happened on one host, mapped onto this machine's clock (offsets from
// the run's start, like every other stamp): the skew across hosts.
type HostStampRec struct {
	T    string        `json:"t"` // "hostStamp"
	Step string        `json:"step"`
	Ev   string        `json:"ev"` // injected | reverted
	Host string        `json:"host"`
	At   time.Duration `json:"at"`
	Done time.Duration `json:"done"`
}

// stamps lists, per host, when the last inject (or revert) happened there.
func (h *hostsFault) stamps(step, ev string, base time.Time) []HostStampRec {
	var out []HostStampRec
	for i, f := range h.fs {
		hs, ok := f.(hostStamper)
		if !ok {
			continue
		}
		r := HostStampRec{T: "hostStamp", Step: step, Ev: ev, Host: h.hosts[i]}
		if ev == "reverted" {
			r.At, r.Done = hs.RevertedAt(base)
		} else {
			r.At, r.Done = hs.InjectedAt(base)
		}
		out = append(out, r)
	}
	return out
}

func (h *hostsFault) Revert(ctx context.Context) error {
	h.disarm()
	return each(len(h.fs), func(i int) error { return h.fs[i].Revert(ctx) })
}

// hostsAction is an action on its selected hosts, run on all at once.
type hostsAction struct {
	as    []faults.Action
	hosts []string
}

func (h *hostsAction) Describe() string {
	d := make([]string, len(h.as))
	for i, a := range h.as {
		d[i] = a.Describe()
	}
	return strings.Join(d, "; ")
}

func (h *hostsAction) Targets() []faults.Target {
	var ts []faults.Target
	for _, a := range h.as {
		ts = append(ts, a.Targets()...)
	}
	return ts
}

func (h *hostsAction) Preflight(ctx context.Context) error {
	return each(len(h.as), func(i int) error {
		if p, ok := h.as[i].(faults.Preflighter); ok {
			return p.Preflight(ctx)
		}
		return nil
	})
}

// Run returns the host's result for one host, else results by host.
func (h *hostsAction) Run(ctx context.Context) (faults.Result, error) {
	res := make([]faults.Result, len(h.as))
	err := each(len(h.as), func(i int) (err error) {
		res[i], err = h.as[i].Run(ctx)
		return err
	})
	if len(h.as) == 1 {
		return res[0], err
	}
	out := faults.Result{}
	for i, r := range res {
		out[h.hosts[i]] = r
	}
	return out, err
}

var (
	_ faults.Fault       = (*hostsFault)(nil)
	_ faults.Preflighter = (*hostsFault)(nil)
	_ faults.Action      = (*hostsAction)(nil)
	_ faults.Preflighter = (*hostsAction)(nil)
)

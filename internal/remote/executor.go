package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
)

// StepSpec is one step as an executor builds it.
type StepSpec struct {
	Name       string
	Kind       string
	Params     json.RawMessage // the step's `with`, as JSON
	Experiment string
	RunID      string
	Revert     string // auto | never
}

// ProbeSpec is one probe as an executor samples it.
type ProbeSpec struct {
	Name string
	Def  *experiments.Probe
}

// Executor runs steps and probes somewhere: on this machine (Local) or
// on a host through its agent (Host). The engine builds each step's
// fault or action through the executor of its `on:` and then schedules
// it exactly as today (Prepare before its time, Inject on time, Revert);
// it samples each executor's probes with StartProbes. A fault kind never
// knows where it runs.
type Executor interface {
	// Name is "" for this machine, else the host's name.
	Name() string
	// NewFault and NewAction validate the step where it will run and
	// return something the engine schedules as it does a local step.
	// The result implements faults.Preflighter when the kind (or the
	// host) can check its targets.
	NewFault(ctx context.Context, s StepSpec) (faults.Fault, error)
	NewAction(ctx context.Context, s StepSpec) (faults.Action, error)
	// StartProbes samples probes until stop is called; emit receives
	// samples whose Start is an offset from base on this machine's clock.
	// Calls for one probe never overlap; calls for different probes may.
	StartProbes(ctx context.Context, base time.Time, ps []ProbeSpec, emit func(probe string, s probes.Sample)) (stop func(), err error)
	// Clock is how the executor's clock maps onto this one (exact and
	// zero for Local); reports state Clock().Error per host.
	Clock() ClockEstimate
	// Lost delivers, once, the loss of the executor (the host's agent
	// gone or its lease let go): the engine aborts as on a lost guard.
	// Nil for Local.
	Lost() <-chan error
	// Close ends the session: the host reverts whatever it still holds.
	Close(ctx context.Context) error
}

// Local runs on this machine with the fault and probe registries directly.
type Local struct{}

func (Local) Name() string { return "" }

func (Local) NewFault(_ context.Context, s StepSpec) (faults.Fault, error) {
	k, ok := faults.Lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", s.Kind)
	}
	if k.NewFault == nil {
		return nil, fmt.Errorf("%q is an action, not a fault", s.Kind)
	}
	f, err := k.NewFault(params(s.Params))
	if err != nil {
		return nil, err
	}
	if sc, ok := f.(faults.Scoped); ok {
		sc.SetScope(s.RunID, s.Name)
	}
	return f, nil
}

func (Local) NewAction(_ context.Context, s StepSpec) (faults.Action, error) {
	k, ok := faults.Lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", s.Kind)
	}
	if k.NewAction == nil {
		return nil, fmt.Errorf("%q is a fault, not an action", s.Kind)
	}
	return k.NewAction(params(s.Params))
}

func params(p json.RawMessage) json.RawMessage {
	if len(p) == 0 {
		return json.RawMessage("{}")
	}
	return p
}

func (Local) StartProbes(ctx context.Context, base time.Time, ps []ProbeSpec, emit func(string, probes.Sample)) (func(), error) {
	specs := make([]probes.Spec, 0, len(ps))
	for _, p := range ps {
		sp, err := probes.NewSpec(p.Def.Def(p.Name))
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		probes.Run(sctx, base, specs, emit)
	}()
	return func() { cancel(); wg.Wait() }, nil
}

func (Local) Clock() ClockEstimate            { return ClockEstimate{OK: true} }
func (Local) Lost() <-chan error              { return nil }
func (Local) Close(ctx context.Context) error { return nil }

// Host is the Executor of a host's agent session.
type Host struct{ *Client }

// NewHost wraps a session as an Executor.
func NewHost(c *Client) Host { return Host{c} }

func (h Host) Name() string { return h.Host() }

func (h Host) NewFault(ctx context.Context, s StepSpec) (faults.Fault, error) {
	return h.Client.NewFault(ctx, s.Name, s.Kind, s.Params, s.Revert)
}

func (h Host) NewAction(ctx context.Context, s StepSpec) (faults.Action, error) {
	return h.Client.NewAction(ctx, s.Name, s.Kind, s.Params)
}

func (h Host) StartProbes(ctx context.Context, base time.Time, ps []ProbeSpec, emit func(string, probes.Sample)) (func(), error) {
	var stops []func()
	stopAll := func() {
		var wg sync.WaitGroup
		for _, s := range stops {
			wg.Add(1)
			go func() { defer wg.Done(); s() }()
		}
		wg.Wait()
	}
	for _, p := range ps {
		stop, err := h.Client.StartProbe(ctx, p.Name, p.Def, base, emit)
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, stop)
	}
	return stopAll, nil
}

var (
	_ Executor = Local{}
	_ Executor = Host{}
)

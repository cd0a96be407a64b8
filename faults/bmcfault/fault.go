package bmcfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// params are bmc.power's `with`.
type params struct {
	Config
	// Action is off (default), cycle, reset, soft (ACPI shutdown) or on.
	Action string `json:"action,omitempty" enum:"off cycle reset soft on" default:"off"`
	// Host is the host whose BMC this is: set from the step's `on:` (the
	// BMC is dialled from this machine, never from the host), for messages.
	Host string `json:"host,omitempty"`
}

// undo is bmc.power's undo record: the BMC, where its password comes from
// (never the password) and the power state before the fault.
type undo struct {
	Config
	Action string `json:"action"`
	// PowerBefore is "on" or "off"; a host that was off stays off on revert.
	PowerBefore string `json:"powerBefore"`
}

type powerFault struct {
	p      params
	before string
	warm   warm
}

func newPower(raw json.RawMessage) (faults.Fault, error) {
	var p params
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Action == "" {
		p.Action = "off"
	}
	var errs []error
	if _, ok := actions[p.Action]; !ok {
		errs = append(errs, fmt.Errorf("action %q: want one of %s", p.Action, actionNames()))
	}
	if err := p.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bmc.power: %w", err)
	}
	return &powerFault{p: p}, nil
}

func actionNames() string {
	out := make([]string, 0, len(actions))
	for n := range actions {
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func (f *powerFault) Describe() string {
	where := ""
	if !nsutil.IsHost(f.p.Netns) {
		where = " from netns " + f.p.Netns
	}
	whose := "BMC"
	if f.p.Host != "" {
		whose = f.p.Host + "'s BMC"
	}
	return fmt.Sprintf("chassis power %s through %s %s%s", f.p.Action, whose, f.p.endpoint(), where)
}

func (f *powerFault) Targets() []faults.Target {
	return []faults.Target{{Kind: "bmc", ID: "bmc:" + f.p.endpoint()}}
}

// Endpoints lists the BMC when the operator's namespace reaches it, so
// that lock-out protection refuses a step that would cut the way to it.
func (f *powerFault) Endpoints() []faults.Endpoint {
	if !nsutil.IsHost(f.p.Netns) {
		return nil
	}
	return []faults.Endpoint{{Name: "BMC " + f.p.endpoint(), Host: f.p.Address}}
}

// Preflight connects, authenticates and reads the power state.
func (f *powerFault) Preflight(ctx context.Context) error {
	_, err := PowerState(ctx, f.p.Config)
	return onHost(f.p.Host, err)
}

// onHost names the host whose BMC failed, when the step named one.
func onHost(host string, err error) error {
	if err == nil || host == "" {
		return err
	}
	return fmt.Errorf("host %s: %w", host, err)
}

// Prepare snapshots the power state the revert restores, and keeps the
// session it opened for Inject.
func (f *powerFault) Prepare(ctx context.Context) (faults.Undo, error) {
	octx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := open(octx, f.p.Config)
	if err != nil {
		return faults.Undo{}, err
	}
	on, err := s.powerState(octx)
	if err != nil {
		s.close(ctx)
		return faults.Undo{}, err
	}
	f.warm.keep(s)
	f.before = "off"
	if on {
		f.before = "on"
	}
	raw, err := json.Marshal(undo{Config: f.p.Config, Action: f.p.Action, PowerBefore: f.before})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: kindName, Params: raw}, nil
}

// Inject sends the chassis control over the session Prepare opened; when
// there is none, or the BMC has dropped it, over a new one.
func (f *powerFault) Inject(ctx context.Context) error {
	if s := f.warm.take(); s != nil {
		ctx, cancel := withTimeout(ctx)
		defer cancel()
		err := s.control(ctx, f.p.Action, actions[f.p.Action])
		s.close(ctx)
		if err == nil {
			return nil
		}
	}
	return control(ctx, f.p.Config, f.p.Action)
}

// Revert powers the host on again, unless it was off before the fault.
func (f *powerFault) Revert(ctx context.Context) error {
	f.warm.drop()
	return revert(ctx, undo{Config: f.p.Config, Action: f.p.Action, PowerBefore: f.before})
}

func revert(ctx context.Context, u undo) error {
	if u.PowerBefore == "off" {
		return nil
	}
	return powerOn(ctx, u.Config)
}

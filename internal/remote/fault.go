package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/wire"
)

// UndoKind is the kind of the undo record a remote fault leaves in the
// controller's journal: it names the host and carries the host's own
// record. It is not a registered fault kind: the host's lease, guard and
// journal revert it there; a controller-side recover sends it back to
// the host (RevertRemote).
const UndoKind = "remote"

// RemoteUndo is the parameters of an UndoKind record.
type RemoteUndo struct {
	Host string      `json:"host"`
	Run  string      `json:"run"`
	Step string      `json:"step"`
	Undo faults.Undo `json:"undo"`
}

// Fault is a fault that runs on a host: faults.Fault over the wire, so
// the engine schedules it like a local one. Its targets carry the host.
type Fault struct {
	c       *Client
	step    wire.Step
	desc    string
	targets []faults.Target
	// Agent-clock stamps of the last inject, mapped by InjectedAt.
	injStart, injDone time.Duration
	revStart, revDone time.Duration
}

// NewFault builds the fault on the host (parameters are validated there,
// with the host's registry) and returns its handle.
func (c *Client) NewFault(ctx context.Context, step, kind string, params json.RawMessage, revert string) (*Fault, error) {
	st := wire.Step{Name: step, Kind: kind, Params: params, Run: c.cfg.Run, Experiment: c.cfg.Experiment, Revert: revert}
	r, err := c.call(ctx, &wire.Message{Type: wire.TDefine, Step: &st})
	if err != nil {
		return nil, err
	}
	return &Fault{c: c, step: st, desc: r.Desc, targets: hostTargets(c.cfg.Host, r.Targets)}, nil
}

// hostTargets qualifies targets with their host, so locks and blast
// radius tell hv-a's eth0 from hv-b's.
func hostTargets(host string, ts []faults.Target) []faults.Target {
	out := make([]faults.Target, len(ts))
	for i, t := range ts {
		out[i] = faults.Target{Kind: t.Kind, ID: "host:" + host + "/" + t.ID}
	}
	return out
}

func (f *Fault) Describe() string         { return f.desc + " on " + f.c.cfg.Host }
func (f *Fault) Targets() []faults.Target { return f.targets }

// Preflight checks the targets on the host.
func (f *Fault) Preflight(ctx context.Context) error {
	_, err := f.c.call(ctx, &wire.Message{Type: wire.TPreflight, Step: &f.step})
	return err
}

// Prepare has the host snapshot and fsync its undo record; the record
// returned for the controller's journal wraps the host's.
func (f *Fault) Prepare(ctx context.Context) (faults.Undo, error) {
	r, err := f.c.call(ctx, &wire.Message{Type: wire.TPrepare, Step: &f.step})
	if err != nil {
		return faults.Undo{}, err
	}
	if r.Undo == nil {
		return faults.Undo{}, fmt.Errorf("host %s: prepare %s: no undo record", f.c.cfg.Host, f.step.Name)
	}
	b, err := json.Marshal(RemoteUndo{Host: f.c.cfg.Host, Run: f.c.cfg.Run, Step: f.step.Name, Undo: *r.Undo})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: UndoKind, Params: b}, nil
}

// Inject injects on the host.
func (f *Fault) Inject(ctx context.Context) error {
	r, err := f.c.call(ctx, &wire.Message{Type: wire.TInject, Step: &f.step})
	if err != nil {
		return err
	}
	f.injStart, f.injDone = time.Duration(r.Start), time.Duration(r.Done)
	return nil
}

// Revert reverts on the host (idempotent there).
func (f *Fault) Revert(ctx context.Context) error {
	r, err := f.c.call(ctx, &wire.Message{Type: wire.TRevert, Step: &f.step})
	if err != nil {
		return err
	}
	f.revStart, f.revDone = time.Duration(r.Start), time.Duration(r.Done)
	return nil
}

// InjectedAt is when the last inject began and ended on the host, on the
// controller's clock as offsets from base.
func (f *Fault) InjectedAt(base time.Time) (start, done time.Duration) {
	return f.c.mapStamp(f.injStart, base), f.c.mapStamp(f.injDone, base)
}

// RevertedAt is when the last revert began and ended on the host, on the
// controller's clock as offsets from base.
func (f *Fault) RevertedAt(base time.Time) (start, done time.Duration) {
	return f.c.mapStamp(f.revStart, base), f.c.mapStamp(f.revDone, base)
}

// Action is an action that runs on a host.
type Action struct {
	c       *Client
	step    wire.Step
	desc    string
	targets []faults.Target
}

// NewAction builds the action on the host.
func (c *Client) NewAction(ctx context.Context, step, kind string, params json.RawMessage) (*Action, error) {
	st := wire.Step{Name: step, Kind: kind, Params: params, Run: c.cfg.Run, Experiment: c.cfg.Experiment}
	r, err := c.call(ctx, &wire.Message{Type: wire.TDefine, Step: &st})
	if err != nil {
		return nil, err
	}
	return &Action{c: c, step: st, desc: r.Desc, targets: hostTargets(c.cfg.Host, r.Targets)}, nil
}

func (a *Action) Describe() string         { return a.desc + " on " + a.c.cfg.Host }
func (a *Action) Targets() []faults.Target { return a.targets }

func (a *Action) Preflight(ctx context.Context) error {
	_, err := a.c.call(ctx, &wire.Message{Type: wire.TPreflight, Step: &a.step})
	return err
}

// Run runs the action on the host and returns its result.
func (a *Action) Run(ctx context.Context) (faults.Result, error) {
	r, err := a.c.call(ctx, &wire.Message{Type: wire.TRunAction, Step: &a.step})
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

// RevertRemote reverts an UndoKind record through a session with its
// host (controller-side recover); the host checks the record's trust.
func (c *Client) RevertRemote(ctx context.Context, params json.RawMessage) error {
	var ru RemoteUndo
	if err := json.Unmarshal(params, &ru); err != nil {
		return fmt.Errorf("remote undo: %w", err)
	}
	if ru.Host != c.cfg.Host {
		return fmt.Errorf("remote undo names host %s, this session is %s", ru.Host, c.cfg.Host)
	}
	_, err := c.call(ctx, &wire.Message{Type: wire.TRevertRec, Undo: &ru.Undo})
	return err
}

var (
	_ faults.Fault       = (*Fault)(nil)
	_ faults.Preflighter = (*Fault)(nil)
	_ faults.Action      = (*Action)(nil)
	_ faults.Preflighter = (*Action)(nil)
)

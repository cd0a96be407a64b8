package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/wire"
)

// held is one step the agent built: a fault it may hold, or an action.
type held struct {
	step, kind, revert string
	fault              faults.Fault
	mu                 sync.Mutex // one prepare, inject or revert of this step at a time
	action             faults.Action

	prepared, injected, reverted bool
	locks                        *engine.TargetLocks // the targets', from preflight or prepare until revert
}

// stepTimeout bounds one prepare, inject or revert on the host.
const stepTimeout = 60 * time.Second

func (s *session) handle(m *wire.Message) {
	var r *wire.Reply
	var err error
	switch m.Type {
	case wire.TDefine:
		r, err = s.define(m.Step)
	case wire.TPreflight:
		r, err = s.preflight(m.Step)
	case wire.TPrepare:
		r, err = s.prepare(m.Step)
	case wire.TInject:
		r, err = s.inject(m.Step)
	case wire.TRevert:
		r, err = s.revertStep(m.Step)
	case wire.TRunAction:
		r, err = s.runAction(m.Step)
	case wire.TRevertRec:
		r, err = s.revertUndo(m.Undo)
	case wire.TStartProbe:
		r, err = s.startProbe(m.Probe)
	case wire.TStopProbe:
		r, err = s.stopProbe(m.Probe)
	default:
		err = fmt.Errorf("unknown request %q", m.Type)
	}
	if err != nil {
		r = wire.ErrorReply(err)
	}
	if m.ID != 0 {
		s.reply(m, r)
	}
}

// build makes (or finds) the fault or action of a step.
func (s *session) build(st *wire.Step) (*held, error) {
	if st == nil || st.Name == "" {
		return nil, errors.New("request without a step name")
	}
	s.mu.Lock()
	h := s.steps[st.Name]
	s.mu.Unlock()
	if h != nil {
		if st.Kind != "" && st.Kind != h.kind {
			return nil, fmt.Errorf("step %s is %s here, not %s", st.Name, h.kind, st.Kind)
		}
		return h, nil
	}
	if st.Kind == "" {
		return nil, fmt.Errorf("step %s: %w on this host", st.Name, faults.ErrNotFound)
	}
	k, ok := faults.Lookup(st.Kind)
	if !ok {
		return nil, fmt.Errorf("kind %q is not in this build", st.Kind)
	}
	h = &held{step: st.Name, kind: st.Kind, revert: st.Revert}
	if h.revert == "" {
		h.revert = "auto"
	}
	params := st.Params
	if len(params) == 0 {
		params = []byte("{}")
	}
	var err error
	if k.NewFault != nil {
		if h.fault, err = k.NewFault(params); err == nil {
			// Faults that name what they create (nftables tables) learn
			// the run here as they do locally.
			if sc, ok := h.fault.(faults.Scoped); ok {
				sc.SetScope(s.run, st.Name)
			}
		}
	} else {
		h.action, err = k.NewAction(params)
	}
	if err != nil {
		return nil, fmt.Errorf("step %s (%s): %w", st.Name, st.Kind, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.steps[st.Name]; prev != nil { // a concurrent build won
		return prev, nil
	}
	s.steps[st.Name] = h
	s.order = append(s.order, h)
	return h, nil
}

func (h *held) describe() *wire.Reply {
	if h.fault != nil {
		return &wire.Reply{Desc: h.fault.Describe(), Targets: h.fault.Targets()}
	}
	return &wire.Reply{Desc: h.action.Describe(), Targets: h.action.Targets()}
}

func (s *session) define(st *wire.Step) (*wire.Reply, error) {
	h, err := s.build(st)
	if err != nil {
		return nil, err
	}
	return h.describe(), nil
}

func (s *session) preflight(st *wire.Step) (*wire.Reply, error) {
	h, err := s.build(st)
	if err != nil {
		return nil, err
	}
	var pf faults.Preflighter
	var ok bool
	if h.fault != nil {
		pf, ok = h.fault.(faults.Preflighter)
	} else {
		pf, ok = h.action.(faults.Preflighter)
	}
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	// Another run holding a target is a preflight error, as locally.
	h.mu.Lock()
	err = s.lockTargets(h)
	h.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if ok {
		if err := pf.Preflight(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.lockout(ctx, h); err != nil {
		return nil, err
	}
	return h.describe(), nil
}

// lockout refuses a fault that would cut the controller's own path to
// this host (the SSH connection it came in on, the default route), with
// the engine's own check run here, in the namespace the agent runs in,
// unless the experiment allows it and a host guard holds the lease.
func (s *session) lockout(ctx context.Context, h *held) error {
	if h.fault == nil {
		return nil
	}
	plan := &engine.Plan{
		Exp:   &experiments.Experiment{Version: 1, Name: s.exp, Safety: experiments.Safety{AllowLockout: s.allowLockout}},
		Steps: []*engine.PlannedStep{{Step: &experiments.Step{Name: h.step, Fault: h.kind}, Fault: h.fault}},
	}
	check := engine.LockoutCheck{SSHConnection: os.Getenv("SSH_CONNECTION")}
	if err := plan.CheckLockout(ctx, check, s.lease != nil); err != nil {
		return fmt.Errorf("on this host: %w", err)
	}
	return nil
}

func (s *session) fault(st *wire.Step) (*held, error) {
	h, err := s.build(st)
	if err != nil {
		return nil, err
	}
	if h.fault == nil {
		return nil, fmt.Errorf("step %s: %s is an action, not a fault", h.step, h.kind)
	}
	return h, nil
}

// prepare snapshots and journals the undo record, fsync'd, before the
// reply: the controller injects only after it.
func (s *session) prepare(st *wire.Step) (*wire.Reply, error) {
	h, err := s.fault(st)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.prepared {
		return nil, fmt.Errorf("step %s is already prepared", h.step)
	}
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	if err := s.lockout(ctx, h); err != nil {
		return nil, err
	}
	if err := s.lockTargets(h); err != nil {
		return nil, err
	}
	undo, err := h.fault.Prepare(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if err := s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvPrepared, At: time.Duration(s.mono()),
		Kind: h.kind, Desc: h.fault.Describe(), Targets: h.fault.Targets(), Undo: &undo, Revert: h.revert}); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	h.prepared = true
	r := h.describe()
	r.Undo = &undo
	return r, nil
}

func (s *session) inject(st *wire.Step) (*wire.Reply, error) {
	h, err := s.fault(st)
	if err != nil {
		return nil, err
	}
	if st.At > 0 {
		if err := s.waitArmed(h, st); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case s.ctx.Err() != nil:
		return nil, fmt.Errorf("step %s: the session is ending", h.step)
	case !h.prepared:
		return nil, fmt.Errorf("step %s: inject before prepare", h.step)
	case h.reverted:
		return nil, fmt.Errorf("step %s: already reverted", h.step)
	}
	if s.lease != nil {
		if err := s.lease.Check(); err != nil { // never inject unguarded
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	start := s.mono()
	err = h.fault.Inject(ctx)
	done := s.mono()
	if err != nil {
		_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvFailed, At: time.Duration(done), Error: "inject: " + err.Error()})
		return nil, fmt.Errorf("inject: %w", err)
	}
	h.injected = true
	_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvInjected, At: time.Duration(start),
		Done: time.Duration(done), Kind: h.kind})
	return &wire.Reply{Start: start, Done: done}, nil
}

func (s *session) revertStep(st *wire.Step) (*wire.Reply, error) {
	h, err := s.fault(st)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	start, err := s.revertLocked(h, "run")
	if err != nil {
		return nil, err
	}
	return &wire.Reply{Start: start, Done: s.mono()}, nil
}

// revertLocked reverts a prepared fault once; h.mu is held.
func (s *session) revertLocked(h *held, by string) (int64, error) {
	start := s.mono()
	if !h.prepared || h.reverted {
		return start, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := h.fault.Revert(ctx); err != nil {
		_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvFailed, At: time.Duration(s.mono()), Error: "revert: " + err.Error()})
		return start, fmt.Errorf("revert %s: %w", h.step, err)
	}
	h.reverted = true
	h.unlockTargets()
	return start, s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvReverted, At: time.Duration(start), By: by})
}

// revertAll reverts every held fault whose revert is auto, newest first
// (`revert: never` faults are the system's to heal, as in crash recovery).
func (s *session) revertAll(by string) (int, error) {
	s.mu.Lock()
	list := append([]*held(nil), s.order...)
	s.mu.Unlock()
	var errs []error
	n := 0
	for i := len(list) - 1; i >= 0; i-- {
		h := list[i]
		if h.fault == nil {
			continue
		}
		h.mu.Lock()
		if h.prepared && !h.reverted && h.revert != "never" {
			if _, err := s.revertLocked(h, by); err != nil {
				errs = append(errs, err)
			} else {
				n++
			}
		}
		// A step never prepared (preflight only) holds nothing to revert:
		// its locks go with the session, not with this process.
		if !h.prepared {
			h.unlockTargets()
		}
		h.mu.Unlock()
	}
	return n, errors.Join(errs...)
}

func (s *session) runAction(st *wire.Step) (*wire.Reply, error) {
	h, err := s.build(st)
	if err != nil {
		return nil, err
	}
	if h.action == nil {
		return nil, fmt.Errorf("step %s: %s is a fault, not an action", h.step, h.kind)
	}
	start := s.mono()
	_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvStarted, At: time.Duration(start), Kind: h.kind,
		Desc: h.action.Describe(), Targets: h.action.Targets()})
	res, err := h.action.Run(s.ctx)
	if err != nil {
		_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvFailed, At: time.Duration(s.mono()), Error: err.Error()})
		return nil, err
	}
	_ = s.jw.Step(journal.StepRec{Step: h.step, Ev: journal.EvDone, At: time.Duration(s.mono()), Result: res})
	return &wire.Reply{Result: res, Start: start, Done: s.mono()}, nil
}

// revertUndo reverts from a record alone, as `faultline recover` would:
// only records that name what faultline created.
func (s *session) revertUndo(u *faults.Undo) (*wire.Reply, error) {
	if u == nil {
		return nil, errors.New("revert-undo without a record")
	}
	if err := faults.TrustUndo(*u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	if err := faults.RevertUndo(ctx, *u); err != nil {
		return nil, err
	}
	return &wire.Reply{}, nil
}

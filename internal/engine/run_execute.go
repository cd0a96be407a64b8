package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probes"
)

// execute runs the phases: probes, steady state before, the method, the
// reverts, steady state after.
func (r *runner) execute(ctx context.Context) (status string, exit int, err error) {
	stopProbes, err := r.startProbes(ctx)
	if err != nil {
		return journal.StatusError, exitcode.Infra, err
	}
	defer r.watchLiveness()()

	// Steady state before the first step: nothing is injected unless it holds.
	r.event("phase", "", "waiting for the steady state")
	if ok, why := r.waitSteady(ctx, journal.PhaseSteadyBefore, r.plan.Exp.SteadyState); !ok {
		_ = r.jw.Abort(r.now(), why)
		r.event("abort", "", why)
		stopProbes()
		return journal.StatusAborted, exitcode.Aborted, nil
	}

	aborted := true
	if first, ok := r.ready(ctx); ok {
		aborted = r.method(ctx, first)
	}
	_ = r.jw.Phase(journal.PhaseMethodEnd, r.now())
	if aborted {
		_ = r.jw.Abort(r.now(), r.abortReason)
		r.event("abort", "", r.abortReason)
	}
	// Revert what is still injected: auto faults always; `revert: never`
	// faults too when the run was aborted (the operator wants it back).
	revertErr := r.revertAll(aborted)
	infra := r.infra()
	if infra == nil && revertErr != nil {
		infra = revertErr
	}
	if infra != nil {
		stopProbes()
		return journal.StatusError, exitcode.Infra, infra
	}
	if aborted {
		stopProbes()
		return journal.StatusAborted, exitcode.Aborted, nil
	}
	// Steady state after the end: it must return.
	r.event("phase", "", "waiting for the steady state to return")
	ok, why := r.waitSteady(ctx, journal.PhaseSteadyAfter, r.plan.Exp.SteadyState)
	stopProbes()
	if !ok && ctx.Err() != nil {
		return journal.StatusAborted, exitcode.Aborted, nil
	}
	if !ok {
		r.event("fail", "", why)
		return journal.StatusFailed, exitcode.Failed, nil
	}
	return journal.StatusPassed, exitcode.Passed, nil
}

// ready makes the run ready for its method: the guard armed, then the
// steps due at the method's start prepared (snapshots taken, undo records
// fsync'd). Only then is the method's start taken, so that a step `at:
// 0s` is due when nothing is left to do but inject it. The guard comes up
// while the journal, the probes and the steady state get going; it is
// armed before the first undo record is written, so that whenever there
// is something to revert, a guard holds the lease. false: aborted or
// failed.
func (r *runner) ready(ctx context.Context) (first int, ok bool) {
	measure.Stage("steady state held")
	if r.opts.Armed != nil {
		if err := r.opts.Armed(ctx); err != nil {
			if ctx.Err() != nil { // stopped (a signal, a halt) while the guard came up
				r.abort(stopReason(ctx))
				return 0, false
			}
			r.setInfra(fmt.Errorf("guard: %w; nothing was injected", err))
			return 0, false
		}
	}
	if len(r.states) > 0 {
		first = r.groupEnd(0, stepOffset(r.states[0].ps.Step, 0))
	}
	// Registered for recover and the guard only now: before the guard
	// exists a run that dies leaves no link it would not clean up, and
	// there is nothing to revert before the first undo record.
	r.unregister = registerActive(r.opts.StateDir, r.opts.RunID, r.jw.Path())
	measure.Stage("guard armed")
	if !r.prepare(ctx, r.states[:first]) {
		return 0, false
	}
	select {
	case <-r.aborted:
		return 0, false
	default:
	}
	return first, true
}

// startProbes starts sampling: the local probes here, the others on
// their hosts. The returned func stops both and waits for them.
func (r *runner) startProbes(ctx context.Context) (stop func(), err error) {
	sctx, stopSampler := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	specs := make([]probes.Spec, 0, len(r.plan.Probes))
	for _, p := range r.plan.Probes {
		r.jw.SetInterval(p.Name, p.Every)
		if p.Host != "" {
			continue // sampled by its host's agent (startHostProbes)
		}
		specs = append(specs, probes.Spec{Name: p.Name, Prober: p.Prober, Every: p.Every, Timeout: p.Timeout})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		probes.Run(sctx, r.base, specs, r.emit)
	}()
	stopHostProbes, err := r.startHostProbes(ctx)
	if err != nil {
		stopSampler()
		wg.Wait()
		return nil, err
	}
	return func() { stopSampler(); wg.Wait(); stopHostProbes() }, nil
}

// watchLiveness flushes complete sample lines now and then (so the journal
// can be read live), beats the guard's heartbeat, and aborts the run when
// the guard or a host is lost. The returned func stops it.
func (r *runner) watchLiveness() (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = r.jw.Flush()
				if r.opts.Heartbeat != nil {
					if err := r.opts.Heartbeat(); err != nil {
						r.abort("guard lost: " + err.Error())
					}
				}
			}
		}
	}()
	r.watchHosts(done)
	if r.opts.GuardLost != nil {
		go func() {
			select {
			case err := <-r.opts.GuardLost:
				r.abort(fmt.Sprintf("guard lost: %v", err))
			case <-done:
			}
		}()
	}
	return func() { close(done) }
}

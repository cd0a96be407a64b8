package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
)

// method runs the steps, group by group (the steps due at one moment),
// the first `prepared` of them already prepared by ready. It returns true
// when the run was aborted.
func (r *runner) method(ctx context.Context, prepared int) bool {
	methodStart := r.now()
	measure.Stage("method start")
	_ = r.jw.Phase(journal.PhaseMethod, methodStart)
	r.event("phase", "", "method started")
	close(r.watchAbort)

	var bg sync.WaitGroup // injections, actions and timed reverts
	defer bg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			r.abort(stopReason(ctx))
		case <-stop:
		}
	}()
	var prevStart time.Duration // relative to methodStart
	for i := 0; i < len(r.states); {
		planned := stepOffset(r.states[i].ps.Step, prevStart)
		end := r.groupEnd(i, planned)
		group := r.states[i:end]
		if i >= prepared && !r.prepare(ctx, group) {
			break
		}
		moment := methodStart + planned
		armAhead(group, r.base.Add(moment))
		for _, st := range group {
			if st.ps.Fault != nil {
				bg.Add(1)
				go func() {
					defer bg.Done()
					r.injectAt(ctx, st, moment, &bg)
				}()
			}
		}
		started := r.onTime(moment, func() {
			start := r.now()
			prevStart = start - methodStart
			for _, st := range group {
				if st.ps.Action != nil {
					r.startAction(ctx, st, start, &bg)
				}
			}
		})
		if !started {
			break
		}
		i = end
	}
	// Let actions and timed reverts finish, then observe.
	done := make(chan struct{})
	go func() { bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-r.aborted:
		// Faults first: an action slow to stop (a migration finishing its
		// copy) must not hold them in place. execute reverts again, which
		// retries only what failed here.
		_ = r.revertAll(true)
		<-done
		return true
	}
	if !r.sleepUntil(r.now() + r.plan.Exp.Observe.D()) {
		return true
	}
	select {
	case <-r.aborted:
		return true
	default:
		return false
	}
}

// sleepUntil sleeps precisely up to a moment of the run; false when the
// run was aborted first.
func (r *runner) sleepUntil(at time.Duration) bool {
	return measure.SleepUntil(r.abortCtx, nil, r.base.Add(at))
}

// groupEnd is the end (exclusive) of the group of steps from i, due at
// planned: the steps that follow it `at` the same moment or with no
// `wait` (they start with the one before). An action closes its group:
// the faults after it are prepared once it has started, as if it were
// alone.
func (r *runner) groupEnd(i int, planned time.Duration) int {
	j := i + 1
	for ; j < len(r.states); j++ {
		if r.states[j-1].ps.Action != nil {
			break
		}
		s := r.states[j].ps.Step
		if s.At != nil && s.At.D() != planned || s.At == nil && s.Wait.D() != 0 {
			break
		}
	}
	return j
}

// armAhead tells the group's steps on hosts their moment: they are sent
// ahead and land on the hosts' clocks.
func armAhead(group []*stepState, at time.Time) {
	for _, st := range group {
		if a, ok := st.ps.Fault.(interface{ ArmAt(time.Time) }); ok {
			a.ArmAt(at)
		}
	}
}

// prepare prepares the group's faults ahead of their moment: each one's
// snapshot taken and its undo record fsync'd to the journal. false: the
// run failed or was aborted.
func (r *runner) prepare(ctx context.Context, group []*stepState) bool {
	for _, st := range group {
		if st.ps.Fault == nil {
			continue
		}
		s := st.ps.Step
		undo, err := st.ps.Fault.Prepare(ctx)
		if err != nil {
			r.failStep(st, fmt.Errorf("prepare: %w", err))
			return false
		}
		if err := r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvPrepared, At: r.now(),
			Kind: s.Fault, Desc: st.ps.Describe(), Targets: st.ps.Targets(), Undo: &undo,
			Revert: revertMode(s)}); err != nil {
			r.setInfra(err)
			return false
		}
		st.mu.Lock()
		st.prepared = true
		st.mu.Unlock()
		if err := r.blastRadiusAfterPrepare(); err != nil {
			r.abort(err.Error())
			return false
		}
	}
	return true
}

// injectAt injects a prepared fault at its moment. Each fault waits for
// the moment on a thread of its own: a slow fault (hypervisor.destroy
// waits for QEMU to exit) delays neither the others due at the same
// moment, so "destroy and cut at once" happens at once, nor the steps
// after it.
func (r *runner) injectAt(ctx context.Context, st *stepState, moment time.Duration, bg *sync.WaitGroup) {
	r.onTime(moment, func() {
		// Never inject unguarded: a dead guard aborts before the fault lands.
		if r.opts.Heartbeat != nil {
			if err := r.opts.Heartbeat(); err != nil {
				r.abort("guard lost: " + err.Error())
				return
			}
		}
		measure.Stage("inject call")
		r.inject(ctx, st, r.now(), bg)
		measure.Stage("inject returned")
	})
}

// inject injects one prepared fault and, when it has a duration, starts
// the timed revert.
func (r *runner) inject(ctx context.Context, st *stepState, start time.Duration, bg *sync.WaitGroup) {
	s := st.ps.Step
	st.mu.Lock()
	if st.reverted { // an abort got here first: never inject after it
		st.mu.Unlock()
		return
	}
	err := st.ps.Fault.Inject(ctx)
	at := r.now()
	if err == nil {
		st.injected = true
	}
	st.mu.Unlock()
	if err != nil {
		r.failStep(st, fmt.Errorf("inject: %w", err))
		return
	}
	// At: when injecting began (what `after: STEP` measures from);
	// Done: when the fault was fully in (where `during` starts).
	_ = r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvInjected, At: start, Done: at, Kind: s.Fault})
	r.journalHostStamps(st.ps.Fault, s.Name, journal.EvInjected)
	r.event("inject", s.Name, st.ps.Describe())
	if d := s.Duration.D(); d > 0 && s.RevertAuto() {
		bg.Add(1)
		go func() {
			defer bg.Done()
			r.onTime(at+d, func() {
				if err := r.revertStep(st, "run"); err != nil {
					r.setInfra(err)
				}
			})
		}()
	}
}

// startAction runs an action on a goroutine of its own; the abort cancels it.
func (r *runner) startAction(ctx context.Context, st *stepState, start time.Duration, bg *sync.WaitGroup) {
	s := st.ps.Step
	_ = r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvStarted, At: start, Kind: s.Action,
		Desc: st.ps.Describe(), Targets: st.ps.Targets()})
	r.event("start", s.Name, st.ps.Describe())
	bg.Add(1)
	go func() {
		defer bg.Done()
		actx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(r.abortCtx, cancel)
		defer stop()
		res, err := st.ps.Action.Run(actx)
		if err != nil {
			select {
			case <-r.aborted:
				// Cancelled by the abort: the abort is the run's
				// outcome (exit 3), not an infrastructure error.
				_ = r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvFailed, At: r.now(),
					Error: "cancelled by the abort: " + err.Error()})
				r.event("fail", s.Name, "cancelled by the abort")
			default:
				r.failStep(st, err)
			}
			return
		}
		_ = r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvDone, At: r.now(), Result: res})
		r.event("done", s.Name, "done")
	}()
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
)

// Exit codes: aliases of package exitcode, which owns them.
const (
	ExitPassed  = exitcode.Passed
	ExitFailed  = exitcode.Failed
	ExitInvalid = exitcode.Invalid
	ExitAborted = exitcode.Aborted
	ExitInfra   = exitcode.Infra
)

// Event is something the live display shows.
type Event struct {
	At   time.Duration
	Kind string // phase, inject, revert, start, done, fail, abort, info
	Step string
	Msg  string
}

// Observer receives events and samples as the run goes (the live view).
// Sample is called concurrently from the probes' goroutines.
type Observer interface {
	Event(e Event)
	Sample(probe string, s probes.Sample)
}

type nopObserver struct{}

func (nopObserver) Event(Event)                  {}
func (nopObserver) Sample(string, probes.Sample) {}

// Options of a run.
type Options struct {
	// OutDir receives journal.jsonl.
	OutDir string
	// StateDir holds pointers to the journals of runs in progress, for recover.
	StateDir string
	RunID    string
	Observer Observer
	Version  string
	// SteadyGrace is how long, beyond its `for`, a steady state may take to
	// hold before the first step and after the end (default 30s).
	SteadyGrace time.Duration
	// Heartbeat, when set, says the run is guarded: it is called every
	// 500 ms and before every injection, and an error (the guard is gone)
	// aborts the run, reverting, before anything more lands.
	Heartbeat func() error
	// GuardLost, when set, delivers the guard's death at once.
	GuardLost <-chan error
}

// Result of a run.
type Result struct {
	RunID       string
	JournalPath string
	Status      string
	Exit        int
	Verdicts    []verify.Verdict
	Journal     *journal.Run
	Err         error
}

// stepState tracks one step's fault for reverts from several goroutines.
type stepState struct {
	ps       *PlannedStep
	mu       sync.Mutex
	prepared bool
	injected bool
	reverted bool
}

type runner struct {
	plan   *Plan
	opts   Options
	obs    Observer
	jw     *journal.Writer
	base   time.Time
	steady *steadyTracker
	abortW *verify.AbortWatcher

	watchAbort  chan struct{} // closed when abortWhen becomes active
	abortOnce   sync.Once
	aborted     chan struct{} // closed on the first abort
	abortReason string        // set before aborted is closed
	infraErr    error
	infraMu     sync.Mutex
	states      []*stepState
}

func (r *runner) now() time.Duration { return time.Since(r.base) }

func (r *runner) event(kind, step, msg string) {
	r.obs.Event(Event{At: r.now(), Kind: kind, Step: step, Msg: msg})
}

func (r *runner) abort(reason string) {
	r.abortOnce.Do(func() {
		r.abortReason = reason
		close(r.aborted)
	})
}

func (r *runner) setInfra(err error) {
	r.infraMu.Lock()
	if r.infraErr == nil {
		r.infraErr = err
	}
	r.infraMu.Unlock()
	r.abort("infrastructure error: " + err.Error())
}

// Run executes a planned experiment. ctx cancellation (a signal) aborts
// the run: everything is reverted and the status is aborted.
func Run(ctx context.Context, plan *Plan, opts Options) *Result {
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.SteadyGrace == 0 {
		opts.SteadyGrace = 30 * time.Second
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID(plan.Exp.Name)
	}
	res := &Result{RunID: opts.RunID}
	if err := lockoutGate(ctx, plan, opts.Heartbeat != nil); err != nil {
		res.Exit, res.Status, res.Err = ExitInvalid, journal.StatusInvalid, err
		return res
	}
	jpath := filepath.Join(opts.OutDir, "journal.jsonl")
	jw, err := journal.Create(jpath)
	if errors.Is(err, os.ErrExist) {
		// A reused output directory is a usage error, not a broken host.
		res.Exit, res.Status = ExitInvalid, journal.StatusInvalid
		res.Err = fmt.Errorf("output directory %s already holds a run (%s); give a new one: %w", opts.OutDir, jpath, err)
		return res
	}
	if err != nil {
		res.Exit, res.Status, res.Err = ExitInfra, journal.StatusError, err
		return res
	}
	res.JournalPath = jpath
	r := &runner{plan: plan, opts: opts, obs: opts.Observer, jw: jw, base: time.Now(),
		steady: newSteadyTracker(), abortW: verify.NewAbortWatcher(plan.Exp),
		watchAbort: make(chan struct{}), aborted: make(chan struct{})}
	for _, ps := range plan.Steps {
		r.states = append(r.states, &stepState{ps: ps})
	}
	host, _ := os.Hostname()
	if err := jw.Header(journal.Header{Run: opts.RunID, File: plan.Exp.File, Experiment: plan.Exp,
		Wall: r.base, Host: host, Version: opts.Version, Kernel: kernelRelease(), PID: os.Getpid(), Runner: runnerID()}); err != nil {
		res.Exit, res.Status, res.Err = ExitInfra, journal.StatusError, err
		return res
	}
	unregister := registerActive(opts.StateDir, opts.RunID, jpath)

	status, exit, runErr := r.execute(ctx)

	// Read our own journal back: the verdicts are those any report of it gives.
	endAt := r.now()
	r.journalHosts()
	_ = jw.Phase(journal.PhaseEnd, endAt)
	if err := jw.FlushSamples(); err != nil && runErr == nil {
		runErr, exit, status = err, ExitInfra, journal.StatusError
	}
	jr, err := journal.ReadFile(jpath)
	if err != nil {
		res.Exit, res.Status, res.Err = ExitInfra, journal.StatusError, err
		return res
	}
	jr.Phases[journal.PhaseEnd] = endAt
	res.Verdicts = verify.Evaluate(jr.Header.Experiment, verify.TimelineOf(jr))
	if status == journal.StatusPassed && !verify.Passed(res.Verdicts) {
		status, exit = journal.StatusFailed, ExitFailed
	}
	errText := ""
	if runErr != nil {
		errText = runErr.Error()
	}
	if err := jw.End(endAt, status, exit, errText); err != nil && runErr == nil {
		runErr = err
	}
	if exit != ExitInfra {
		unregister()
	}
	res.Status, res.Exit, res.Err = status, exit, runErr
	res.Journal, _ = journal.ReadFile(jpath)
	return res
}

func (r *runner) execute(ctx context.Context) (status string, exit int, err error) {
	exp := r.plan.Exp
	sctx, stopSampler := context.WithCancel(context.WithoutCancel(ctx))
	var sampWG sync.WaitGroup
	specs := make([]probes.Spec, 0, len(r.plan.Probes))
	for _, p := range r.plan.Probes {
		r.jw.SetInterval(p.Name, p.Every)
		if p.Host != "" {
			continue // sampled by its host's agent (startHostProbes)
		}
		specs = append(specs, probes.Spec{Name: p.Name, Prober: p.Prober, Every: p.Every, Timeout: p.Timeout})
	}
	sampWG.Add(1)
	go func() {
		defer sampWG.Done()
		probes.Run(sctx, r.base, specs, r.emit)
	}()
	stopHostProbes, err := r.startHostProbes(ctx)
	if err != nil {
		stopSampler()
		sampWG.Wait()
		return journal.StatusError, ExitInfra, err
	}
	stopProbes := func() { stopSampler(); sampWG.Wait(); stopHostProbes() }
	// Flush complete sample lines now and then, so the journal can be read live.
	flushDone := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-flushDone:
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
	defer close(flushDone)
	r.watchHosts(flushDone)
	if r.opts.GuardLost != nil {
		go func() {
			select {
			case err := <-r.opts.GuardLost:
				r.abort(fmt.Sprintf("guard lost: %v", err))
			case <-flushDone:
			}
		}()
	}

	// Steady state before the first step: nothing is injected unless it holds.
	r.event("phase", "", "waiting for the steady state")
	if ok, why := r.waitSteady(ctx, journal.PhaseSteadyBefore, exp.SteadyState); !ok {
		_ = r.jw.Abort(r.now(), why)
		r.event("abort", "", why)
		stopProbes()
		return journal.StatusAborted, ExitAborted, nil
	}

	methodStart := r.now()
	_ = r.jw.Phase(journal.PhaseMethod, methodStart)
	r.event("phase", "", "method started")
	close(r.watchAbort)
	aborted := r.method(ctx, methodStart)

	_ = r.jw.Phase(journal.PhaseMethodEnd, r.now())
	reason := ""
	if aborted {
		reason = r.abortReason
		_ = r.jw.Abort(r.now(), reason)
		r.event("abort", "", reason)
	}
	// Revert what is still injected: auto faults always; `revert: never`
	// faults too when the run was aborted (the operator wants it back).
	revertErr := r.revertAll(aborted)

	r.infraMu.Lock()
	infra := r.infraErr
	r.infraMu.Unlock()
	if infra == nil && revertErr != nil {
		infra = revertErr
	}
	if infra != nil {
		stopProbes()
		return journal.StatusError, ExitInfra, infra
	}
	if aborted {
		stopProbes()
		return journal.StatusAborted, ExitAborted, nil
	}
	// Steady state after the end: it must return.
	r.event("phase", "", "waiting for the steady state to return")
	ok, why := r.waitSteady(ctx, journal.PhaseSteadyAfter, exp.SteadyState)
	stopProbes()
	if !ok && ctx.Err() != nil {
		return journal.StatusAborted, ExitAborted, nil
	}
	if !ok {
		r.event("fail", "", why)
		return journal.StatusFailed, ExitFailed, nil
	}
	return journal.StatusPassed, ExitPassed, nil
}

func (r *runner) emit(probe string, s probes.Sample) {
	// The journal keeps microseconds; so does everything live, so that
	// live decisions and verdicts read from the journal agree exactly.
	s.Start = s.Start.Truncate(time.Microsecond)
	s.Latency = s.Latency.Truncate(time.Microsecond)
	r.jw.Sample(probe, s)
	r.steady.observe(probe, s)
	r.obs.Sample(probe, s)
	select {
	case <-r.watchAbort:
		if stop, why := r.abortW.Observe(probe, s); stop {
			r.abort("stop condition: " + why)
		}
	default:
	}
}

// method runs the steps; it returns true when the run was aborted.
func (r *runner) method(ctx context.Context, methodStart time.Duration) bool {
	var bg sync.WaitGroup // actions and timed reverts
	defer bg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	abortCh := r.aborted
	go func() {
		select {
		case <-ctx.Done():
			r.abort(stopReason(ctx))
		case <-stop:
		}
	}()
	wait := func(until time.Duration) bool { // false when aborted
		d := until - r.now()
		if d <= 0 {
			select {
			case <-abortCh:
				return false
			default:
				return true
			}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-abortCh:
			return false
		}
	}
	var prevStart time.Duration // relative to methodStart
	for _, st := range r.states {
		s := st.ps.Step
		planned := stepOffset(s, prevStart)
		if st.ps.Fault != nil {
			// Prepare ahead of time: snapshot and fsync the undo record.
			undo, err := st.ps.Fault.Prepare(ctx)
			if err != nil {
				r.failStep(st, fmt.Errorf("prepare: %w", err))
				break
			}
			if err := r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvPrepared, At: r.now(),
				Kind: s.Fault, Desc: st.ps.Describe(), Targets: st.ps.Targets(), Undo: &undo,
				Revert: revertMode(s)}); err != nil {
				r.setInfra(err)
				break
			}
			st.mu.Lock()
			st.prepared = true
			st.mu.Unlock()
			if err := r.blastRadiusAfterPrepare(); err != nil {
				r.abort(err.Error())
				break
			}
			// Steps on hosts are sent ahead and land on the hosts' clocks.
			if a, ok := st.ps.Fault.(interface{ ArmAt(time.Time) }); ok {
				a.ArmAt(r.base.Add(methodStart + planned))
			}
		}
		if !wait(methodStart + planned) {
			break
		}
		// Never inject unguarded: a dead guard aborts before the fault lands.
		if st.ps.Fault != nil && r.opts.Heartbeat != nil {
			if err := r.opts.Heartbeat(); err != nil {
				r.abort("guard lost: " + err.Error())
				break
			}
		}
		start := r.now()
		prevStart = start - methodStart
		if st.ps.Fault != nil {
			// Inject in the background: a slow fault (hypervisor.destroy
			// waits for QEMU to exit) must not delay the steps due at the
			// same moment, so "destroy and cut at once" happens at once.
			bg.Add(1)
			go func(st *stepState, s *experiments.Step, start time.Duration) {
				defer bg.Done()
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
					if wait(at + d) {
						if err := r.revertStep(st, "run"); err != nil {
							r.setInfra(err)
						}
					}
				}
			}(st, s, start)
		} else {
			_ = r.jw.Step(journal.StepRec{Step: s.Name, Ev: journal.EvStarted, At: start, Kind: s.Action,
				Desc: st.ps.Describe(), Targets: st.ps.Targets()})
			r.event("start", s.Name, st.ps.Describe())
			bg.Add(1)
			go func(st *stepState) {
				defer bg.Done()
				actx, cancel := context.WithCancel(ctx)
				defer cancel()
				go func() {
					select {
					case <-abortCh:
						cancel()
					case <-actx.Done():
					}
				}()
				res, err := st.ps.Action.Run(actx)
				if err != nil {
					select {
					case <-abortCh:
						// Cancelled by the abort: the abort is the run's
						// outcome (exit 3), not an infrastructure error.
						_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvFailed, At: r.now(),
							Error: "cancelled by the abort: " + err.Error()})
						r.event("fail", st.ps.Step.Name, "cancelled by the abort")
					default:
						r.failStep(st, err)
					}
					return
				}
				_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvDone, At: r.now(), Result: res})
				r.event("done", st.ps.Step.Name, "done")
			}(st)
		}
	}
	// Let actions and timed reverts finish, then observe.
	done := make(chan struct{})
	go func() { bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-abortCh:
		// Faults first: an action slow to stop (a migration finishing its
		// copy) must not hold them in place. execute reverts again, which
		// retries only what failed here.
		_ = r.revertAll(true)
		<-done
		return true
	}
	if !wait(r.now() + r.plan.Exp.Observe.D()) {
		return true
	}
	select {
	case <-abortCh:
		return true
	default:
		return false
	}
}

func (r *runner) failStep(st *stepState, err error) {
	_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvFailed, At: r.now(), Error: err.Error()})
	r.event("fail", st.ps.Step.Name, err.Error())
	r.setInfra(fmt.Errorf("step %s: %w", st.ps.Step.Name, err))
}

// revertStep reverts one prepared fault once; later calls do nothing.
func (r *runner) revertStep(st *stepState, by string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.prepared || st.reverted {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The fault holds fully until Revert begins: that is its end for
	// `during` windows (samples after it may already see the heal).
	at := r.now()
	if err := st.ps.Fault.Revert(ctx); err != nil {
		_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvFailed, At: r.now(), Error: "revert: " + err.Error()})
		r.event("fail", st.ps.Step.Name, "revert: "+err.Error())
		return fmt.Errorf("revert %s: %w", st.ps.Step.Name, err)
	}
	st.reverted = true
	_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvReverted, At: at, By: by})
	r.journalHostStamps(st.ps.Fault, st.ps.Step.Name, journal.EvReverted)
	if st.injected {
		r.event("revert", st.ps.Step.Name, "reverted")
	}
	return nil
}

// revertAll reverts every prepared fault in reverse order.
func (r *runner) revertAll(all bool) error {
	var errs []error
	for i := len(r.states) - 1; i >= 0; i-- {
		st := r.states[i]
		if st.ps.Fault == nil || (!all && !st.ps.Step.RevertAuto()) {
			continue
		}
		if err := r.revertStep(st, "run"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func revertMode(s *experiments.Step) string {
	if s.RevertAuto() {
		return "auto"
	}
	return "never"
}

// waitSteady waits until every steady-state entry holds, counting only
// samples from now on, or fails after its `for` plus the grace.
func (r *runner) waitSteady(ctx context.Context, phase string, entries []experiments.SteadyState) (bool, string) {
	from := r.now().Truncate(time.Microsecond)
	_ = r.jw.Phase(phase, from)
	if len(entries) == 0 {
		return true, ""
	}
	r.steady.begin()
	defer r.steady.end()
	var longest time.Duration
	for _, e := range entries {
		if e.For.D() > longest {
			longest = e.For.D()
		}
	}
	deadline := time.NewTimer(longest + r.opts.SteadyGrace)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		all := true
		var missing string
		for _, e := range entries {
			if !r.steady.holds(e.Probe, from, r.now(), e.For.D()) {
				all, missing = false, e.Probe
				break
			}
		}
		if all {
			return true, ""
		}
		select {
		case <-ctx.Done():
			return false, stopReason(ctx)
		case <-deadline.C:
			return false, fmt.Sprintf("steady state did not hold: probe %s was not ok continuously for the required time within %s",
				missing, longest+r.opts.SteadyGrace)
		case <-tick.C:
		}
	}
}

var _ = faults.Target{}

// stopReason says why ctx ended: the cause its canceller gave (a halt),
// else a signal.
func stopReason(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		return c.Error()
	}
	return "interrupted by signal"
}

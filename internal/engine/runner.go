package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
)

// stepState tracks one step's fault for reverts from several goroutines.
type stepState struct {
	ps       *PlannedStep
	mu       sync.Mutex
	prepared bool
	injected bool
	reverted bool
}

// runner is one run in progress: its journal, its clock (offsets from
// base) and how it ends early.
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
	// abortCtx ends with the first abort: the precise sleeps watch it.
	abortCtx    context.Context
	cancelAbort context.CancelFunc
	infraErr    error
	infraMu     sync.Mutex
	states      []*stepState
	// unregister removes the journal's link from the state directory; set
	// once the run is registered (ready, before its first undo record).
	unregister func()
}

func newRunner(plan *Plan, opts Options, jw *journal.Writer) *runner {
	r := &runner{plan: plan, opts: opts, obs: opts.Observer, jw: jw, base: time.Now(),
		steady: newSteadyTracker(), abortW: verify.NewAbortWatcher(plan.Exp),
		watchAbort: make(chan struct{}), aborted: make(chan struct{})}
	r.abortCtx, r.cancelAbort = context.WithCancel(context.Background())
	for _, ps := range plan.Steps {
		r.states = append(r.states, &stepState{ps: ps})
	}
	return r
}

func (r *runner) now() time.Duration { return time.Since(r.base) }

func (r *runner) event(kind, step, msg string) {
	r.obs.Event(Event{At: r.now(), Kind: kind, Step: step, Msg: msg})
}

func (r *runner) abort(reason string) {
	r.abortOnce.Do(func() {
		r.abortReason = reason
		close(r.aborted)
		r.cancelAbort()
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

func (r *runner) infra() error {
	r.infraMu.Lock()
	defer r.infraMu.Unlock()
	return r.infraErr
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

func (r *runner) failStep(st *stepState, err error) {
	_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvFailed, At: r.now(), Error: err.Error()})
	r.event("fail", st.ps.Step.Name, err.Error())
	r.setInfra(fmt.Errorf("step %s: %w", st.ps.Step.Name, err))
}

// stopReason says why ctx ended: the cause its canceller gave (a halt),
// else a signal.
func stopReason(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		return c.Error()
	}
	return "interrupted by signal"
}

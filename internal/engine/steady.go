package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
)

// steadyTracker keeps the samples of the steady-state phases, so that the
// live check and the verdict read from the journal use one computation
// (verify.LongestOKRun) on the same samples.
type steadyTracker struct {
	mu      sync.Mutex
	active  bool
	samples map[string][]probes.Sample
}

func newSteadyTracker() *steadyTracker {
	return &steadyTracker{samples: map[string][]probes.Sample{}}
}

// begin starts collecting (a new phase); end stops it.
func (t *steadyTracker) begin() {
	t.mu.Lock()
	t.active, t.samples = true, map[string][]probes.Sample{}
	t.mu.Unlock()
}

func (t *steadyTracker) end() {
	t.mu.Lock()
	t.active, t.samples = false, map[string][]probes.Sample{}
	t.mu.Unlock()
}

func (t *steadyTracker) observe(probe string, s probes.Sample) {
	t.mu.Lock()
	if t.active {
		t.samples[probe] = append(t.samples[probe], s)
	}
	t.mu.Unlock()
}

// holds: within [from, to] the probe, sampled every `every`, was ok
// continuously for d (as the verdict judges it: verify.SteadyHeld).
func (t *steadyTracker) holds(probe string, from, to, every, d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	span, n := verify.LongestOKRun(t.samples[probe], verify.Phase{From: from, To: to})
	return verify.SteadyHeld(span, n, every, d)
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
			if !r.steady.holds(e.Probe, from, r.now(), verify.ProbeInterval(r.plan.Exp, e.Probe), e.For.D()) {
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

package probes

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/measure"
)

// Spec is one probe as the sampler runs it.
type Spec struct {
	Name   string
	Prober Prober
	// Every is the sampling interval (DefaultEvery when <= 0).
	Every time.Duration
	// Timeout bounds each check (Every when <= 0).
	Timeout time.Duration
}

// Run samples every spec on its own goroutine until ctx is done, then
// returns once every in-flight check has returned.
//
// Ticks are aligned to base+k*Every; base must carry a monotonic reading
// (take it from time.Now()). Each sample's Start is its check's start as an
// offset from base: the moment the check marked (MarkStart), else the
// sampler's stamp just before it called the check. The first check of a
// probe runs at once (or at base, if base is in the future). Checks of one probe never overlap: after a check
// ends, the next one starts at the first tick boundary after that moment,
// so a check that overruns its interval skips the ticks it covered.
//
// emit is called from each probe's own goroutine, so calls for different
// probes may run concurrently (calls for one probe never do). It must be
// safe for concurrent use and quick: a slow emit delays its own probe.
//
// Each check's context is derived from ctx, so the run's end cuts in-flight
// checks short; a failed sample from a check that ctx cut short is dropped
// (its failure says nothing about the service).
//
// For timing, the last millisecond before each tick is slept with
// nanosleep on the probe's own thread (Go timers wake up to 1 ms late), so
// Run may notice the end of ctx up to 1 ms late.
func Run(ctx context.Context, base time.Time, specs []Spec, emit func(probe string, s Sample)) {
	var wg sync.WaitGroup
	for _, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runProbe(ctx, base, sp, emit)
		}()
	}
	wg.Wait()
}

func runProbe(ctx context.Context, base time.Time, sp Spec, emit func(string, Sample)) {
	every := sp.Every
	if every <= 0 {
		every = DefaultEvery
	}
	timeout := sp.Timeout
	if timeout <= 0 {
		timeout = every
	}
	next := time.Now()
	if base.After(next) {
		next = base
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if !measure.SleepUntil(ctx, timer, next) {
			return
		}
		start := time.Now()
		s, marked := checkOnce(ctx, sp.Prober, timeout)
		end := time.Now()
		if ctx.Err() != nil && !s.OK {
			return
		}
		// The check says when it began to measure (MarkStart).
		if marked.After(start) && !marked.After(end) {
			start = marked
		}
		s.Start = start.Sub(base)
		if s.Latency == 0 {
			s.Latency = end.Sub(start)
		}
		emit(sp.Name, s)
		next = nextTick(base, every, time.Now())
	}
}

// nextTick is the first boundary base+k*every strictly after now.
func nextTick(base time.Time, every time.Duration, now time.Time) time.Time {
	since := now.Sub(base)
	if since < 0 {
		return base
	}
	k := since/every + 1
	return base.Add(k * every)
}

// checkOnce runs one check under its timeout; a panic becomes a failed
// sample. marked is the start the check marked (zero when none).
func checkOnce(ctx context.Context, p Prober, timeout time.Duration) (s Sample, marked time.Time) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cctx, mark := withStartMark(cctx)
	defer func() {
		if r := recover(); r != nil {
			s = Sample{OK: false, Detail: fmt.Sprintf("check panicked: %v", r)}
		}
		if t := mark.t.Load(); t != nil {
			marked = *t
		}
	}()
	return p.Check(cctx), time.Time{}
}

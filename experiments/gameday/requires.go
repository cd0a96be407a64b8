package gameday

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/probes"
)

// requiresGrace is how long beyond its `for` a requires entry may take to
// hold when it sets no `within`.
const requiresGrace = 30 * time.Second

// checkRequires samples every requires probe until each has been ok
// continuously for its `for` (from the first to the latest ok sample's
// start, as the engine measures steady states), or fails with the first
// entry that did not hold within its `within`.
func checkRequires(ctx context.Context, reqs []Require) error {
	specs := make([]probes.Spec, 0, len(reqs))
	var longest time.Duration
	for i := range reqs {
		r := &reqs[i]
		sp, err := probes.NewSpec(r.Probe.Def(r.Name))
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		specs = append(specs, sp)
		if w := within(r); w > longest {
			longest = w
		}
	}
	type state struct {
		runStart time.Duration
		inRun    bool
		held     bool
		last     string
	}
	var mu sync.Mutex
	st := map[string]*state{}
	forOf := map[string]time.Duration{}
	for i := range reqs {
		st[reqs[i].Name] = &state{}
		forOf[reqs[i].Name] = reqs[i].For.D()
	}
	done := make(chan struct{})
	var once sync.Once
	pctx, cancel := context.WithTimeout(ctx, longest)
	defer cancel()
	emit := func(name string, s probes.Sample) {
		mu.Lock()
		defer mu.Unlock()
		x := st[name]
		if !s.OK {
			x.inRun, x.held, x.last = false, false, s.Detail
			if x.last == "" {
				x.last = fmt.Sprintf("failed (value %g)", s.Value)
			}
			return
		}
		if !x.inRun {
			x.inRun, x.runStart = true, s.Start
		}
		if s.Start-x.runStart >= forOf[name] {
			x.held = true
		}
		for _, y := range st {
			if !y.held {
				return
			}
		}
		once.Do(func() { close(done) })
	}
	go func() {
		select {
		case <-done:
			cancel()
		case <-pctx.Done():
		}
	}()
	probes.Run(pctx, time.Now(), specs, emit)
	mu.Lock()
	defer mu.Unlock()
	for i := range reqs {
		r := &reqs[i]
		x := st[r.Name]
		if x.held {
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted by signal")
		}
		why := "not ok continuously for " + r.For.String()
		if x.last != "" {
			why += " (last failure: " + x.last + ")"
		}
		return fmt.Errorf("%s did not hold within %s: %s", r.Name, within(r), why)
	}
	return nil
}

func within(r *Require) time.Duration {
	if r.Within > 0 {
		return r.Within.D()
	}
	return r.For.D() + requiresGrace
}

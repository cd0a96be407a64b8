package gameday

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
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

// UnmarshalYAML decodes a requires entry: name, for, within, and the probe
// (every, netns and one probe kind as a key of its own, as in experiments).
// Unknown keys are kept for Load, which reports them at their position.
func (r *Require) UnmarshalYAML(unmarshal func(any) error) error {
	var m map[string]any
	if err := unmarshal(&m); err != nil {
		return err
	}
	*r = Require{}
	dur := func(key string, v any) (experiments.Duration, error) {
		s, ok := v.(string)
		if !ok {
			if n, isNum := v.(uint64); isNum && n == 0 {
				return 0, nil
			}
			return 0, fmt.Errorf("%s: want a duration such as 2s, got %v", key, v)
		}
		return experiments.ParseDuration(s)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var err error
	for _, k := range keys {
		v := m[k]
		switch k {
		case "name":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("name: want a string, got %v", v)
			}
			r.Name = s
		case "for":
			r.For, err = dur(k, v)
		case "within":
			r.Within, err = dur(k, v)
		case "every":
			r.Every, err = dur(k, v)
		case "netns":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("netns: want a string, got %v", v)
			}
			r.Netns = s
		default:
			if _, isKind := probes.Lookup(k); !isKind {
				r.unknown = append(r.unknown, k)
				continue
			}
			with, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: want a mapping of parameters, got %v", k, v)
			}
			if r.Kind != "" {
				return fmt.Errorf("set only one probe kind, got %s and %s", r.Kind, k)
			}
			r.Kind, r.With = k, with
		}
		if err != nil {
			return err
		}
	}
	return nil
}

package remote

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/wire"
)

// stream is one probe sampled on the host.
type stream struct {
	c    *Client
	name string
	base time.Time
	emit func(string, probes.Sample)

	mu   sync.Mutex
	done bool
	gone chan struct{}
}

// deliver maps a batch onto the controller's clock and emits it. Batches
// of one probe arrive in order on the one reader goroutine, so emit is
// never called concurrently for one probe, as with the local sampler.
func (st *stream) deliver(ss []probes.Sample) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return
	}
	for _, s := range ss {
		s.Start = st.c.mapStamp(s.Start, st.base)
		st.emit(st.name, s)
	}
}

func (st *stream) end() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.done {
		st.done = true
		close(st.gone)
	}
}

// StartProbe samples a probe on the host. Samples reach emit with their
// Start on the controller's clock as an offset from base (the run's
// start), from the reader goroutine. The returned stop ends the probe and
// returns once its last samples were emitted.
func (c *Client) StartProbe(ctx context.Context, name string, def *experiments.Probe, base time.Time,
	emit func(string, probes.Sample)) (stop func(), err error) {
	p, err := wire.ProbeOf(def.Def(name))
	if err != nil {
		return nil, err
	}
	st := &stream{c: c, name: name, base: base, emit: emit, gone: make(chan struct{})}
	c.mu.Lock()
	if _, dup := c.streams[name]; dup {
		c.mu.Unlock()
		return nil, fmt.Errorf("host %s: probe %s already runs", c.cfg.Host, name)
	}
	c.streams[name] = st
	c.mu.Unlock()
	if _, err := c.call(ctx, &wire.Message{Type: wire.TStartProbe, Probe: p}); err != nil {
		c.mu.Lock()
		delete(c.streams, name)
		c.mu.Unlock()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// The agent sends the last batch before its reply.
			_, _ = c.call(sctx, &wire.Message{Type: wire.TStopProbe, Probe: &wire.Probe{Name: name}})
			c.mu.Lock()
			delete(c.streams, name)
			c.mu.Unlock()
			st.end()
		})
	}, nil
}

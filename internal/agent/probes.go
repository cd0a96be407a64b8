package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/wire"
)

// A probe's samples leave in batches: at most every batchEvery, or sooner
// when batchMax are waiting.
const (
	batchEvery = 20 * time.Millisecond
	batchMax   = 512
)

type probeRun struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	buf []probes.Sample
}

// startProbe runs a probe with the sampler on this host; samples are
// stamped on the agent's clock (ns since its origin).
func (s *session) startProbe(p *wire.Probe) (*wire.Reply, error) {
	if p == nil || p.Name == "" {
		return nil, errors.New("start-probe without a name")
	}
	def, err := p.Def()
	if err != nil {
		return nil, err
	}
	spec, err := probes.NewSpec(def)
	if err != nil {
		return nil, err
	}
	// A probe in a namespace this host lacks would fail every sample and
	// pass a typo off as an outage: refuse it (the controller's preflight
	// starts each probe once to ask).
	if !nsutil.IsHost(def.Netns) {
		if _, err := nsutil.Inode(def.Netns); err != nil {
			return nil, fmt.Errorf("probe %s: netns %s: %w", p.Name, def.Netns, err)
		}
	}
	s.mu.Lock()
	if _, dup := s.probes[p.Name]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("probe %s is already running", p.Name)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	pr := &probeRun{name: p.Name, cancel: cancel, done: make(chan struct{})}
	s.probes[p.Name] = pr
	s.mu.Unlock()

	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		probes.Run(ctx, s.epoch, []probes.Spec{spec}, func(_ string, smp probes.Sample) {
			pr.mu.Lock()
			pr.buf = append(pr.buf, smp)
			full := len(pr.buf) >= batchMax
			pr.mu.Unlock()
			if full {
				s.flush(pr)
			}
		})
	}()
	go func() {
		defer close(pr.done)
		t := time.NewTicker(batchEvery)
		defer t.Stop()
		for {
			select {
			case <-sampled:
				s.flush(pr)
				return
			case <-t.C:
				s.flush(pr)
			}
		}
	}()
	return &wire.Reply{}, nil
}

func (s *session) flush(pr *probeRun) {
	pr.mu.Lock()
	batch := pr.buf
	pr.buf = nil
	pr.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	_ = s.w.Write(&wire.Message{Type: wire.TSamples, Batch: &wire.Batch{Probe: pr.name, Samples: batch}})
}

// stopProbe ends a probe; its last samples are sent before the reply.
func (s *session) stopProbe(p *wire.Probe) (*wire.Reply, error) {
	if p == nil {
		return nil, errors.New("stop-probe without a name")
	}
	s.mu.Lock()
	pr := s.probes[p.Name]
	delete(s.probes, p.Name)
	s.mu.Unlock()
	if pr == nil {
		return &wire.Reply{}, nil
	}
	pr.cancel()
	<-pr.done
	return &wire.Reply{}, nil
}

func (s *session) stopProbes() {
	s.mu.Lock()
	list := s.probes
	s.probes = map[string]*probeRun{}
	s.mu.Unlock()
	for _, pr := range list {
		pr.cancel()
		<-pr.done
	}
}

package sshx

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/faultline/faultline/internal/hosts"
)

// Pool holds one connection per host, dialed on first use and shared by
// every fault, probe and agent on that host.
type Pool struct {
	resolve func(name string) (*Target, error)
	mu      sync.Mutex
	conns   map[string]*poolEntry
}

type poolEntry struct {
	ready  chan struct{}
	client *Client
	err    error
}

// NewPool dials hosts resolved by resolve (e.g. a closure over Resolve).
func NewPool(resolve func(name string) (*Target, error)) *Pool {
	return &Pool{resolve: resolve, conns: map[string]*poolEntry{}}
}

// Client returns the host's connection, dialing it once; concurrent
// callers share the dial. A failed dial is not kept: the next call dials
// again.
func (p *Pool) Client(ctx context.Context, name string) (*Client, error) {
	p.mu.Lock()
	e, ok := p.conns[name]
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		p.conns[name] = e
		p.mu.Unlock()
		e.client, e.err = p.dial(ctx, name)
		if e.err != nil {
			p.mu.Lock()
			delete(p.conns, name)
			p.mu.Unlock()
		}
		close(e.ready)
		return e.client, e.err
	}
	p.mu.Unlock()
	select {
	case <-e.ready:
		return e.client, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Pool) dial(ctx context.Context, name string) (*Client, error) {
	t, err := p.resolve(name)
	if err != nil {
		return nil, err
	}
	return Dial(ctx, t)
}

// DialAll connects to every host in parallel and returns every error at
// once, sorted by host (preflight: all or nothing).
func (p *Pool) DialAll(ctx context.Context, names []string) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for i, n := range sorted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Client(ctx, n)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close closes every connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[string]*poolEntry{}
	p.mu.Unlock()
	var errs []error
	for _, e := range conns {
		<-e.ready
		if e.client != nil {
			errs = append(errs, e.client.Close())
		}
	}
	return errors.Join(errs...)
}

// PoolFor is a pool over a host set, resolved with ssh config cfg.
func PoolFor(set *hosts.Set, cfg *SSHConfig) *Pool {
	return NewPool(func(name string) (*Target, error) { return Resolve(set, cfg, name) })
}

package probes

import (
	"fmt"
	"sync"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/nsutil/nsname"
)

// Constructor builds a prober from a probe definition. It validates and
// prepares only: no check runs until the sampler starts.
type Constructor func(name string, p *experiments.Probe) (Prober, error)

var (
	regMu sync.RWMutex
	kinds = map[string]Constructor{}
)

// RegisterKind adds a probe kind ("http", "tcp", "exec" here; "libvirt"
// from faults/virtfault). Registering a kind twice panics.
func RegisterKind(kind string, c Constructor) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := kinds[kind]; dup {
		panic("probes: kind registered twice: " + kind)
	}
	kinds[kind] = c
}

// New builds the prober for a probe definition through its kind's constructor.
func New(name string, p *experiments.Probe) (Prober, error) {
	if err := nsname.Validate(p.Netns); err != nil {
		return nil, fmt.Errorf("probe %s: netns: %w", name, err)
	}
	kind := p.Kind()
	regMu.RLock()
	c, ok := kinds[kind]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("probe %s: kind %q is not available in this build", name, kind)
	}
	return c(name, p)
}

package probes

import (
	"time"

	"github.com/faultline/faultline/experiments"
)

// NewSpec builds the prober for a probe definition (through New) and the
// sampler spec around it: its interval and its checks' timeout.
func NewSpec(name string, p *experiments.Probe) (Spec, error) {
	pr, err := New(name, p)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Name: name, Prober: pr, Every: p.Interval(), Timeout: Timeout(p)}, nil
}

// Timeout is a probe's check timeout: its kind's `timeout`, or its
// interval when that is unset (so a check never overlaps the next tick).
func Timeout(p *experiments.Probe) time.Duration {
	var t experiments.Duration
	switch {
	case p.HTTP != nil:
		t = p.HTTP.Timeout
	case p.TCP != nil:
		t = p.TCP.Timeout
	case p.Exec != nil:
		t = p.Exec.Timeout
	case p.Libvirt != nil:
		t = p.Libvirt.Timeout
	}
	if t.D() > 0 {
		return t.D()
	}
	return p.Interval()
}

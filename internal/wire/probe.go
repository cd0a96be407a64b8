package wire

import (
	"fmt"
	"time"

	"github.com/faultline/faultline/internal/probes"
)

// ProbeOf turns a probe definition into its start-probe form (where the
// probe runs is the controller's business, not the agent's).
func ProbeOf(d probes.Def) (*Probe, error) {
	if d.Kind == "" {
		return nil, fmt.Errorf("probe %s: no kind", d.Name)
	}
	return &Probe{Name: d.Name, Kind: d.Kind, Params: d.Params, Every: int64(d.Interval()), Netns: d.Netns}, nil
}

// Def rebuilds the probe definition on the agent; the kind must be one
// the agent's registry knows.
func (p *Probe) Def() (probes.Def, error) {
	if p.Kind == "" {
		return probes.Def{}, fmt.Errorf("probe %s: no kind", p.Name)
	}
	if _, ok := probes.Lookup(p.Kind); !ok {
		return probes.Def{}, fmt.Errorf("probe %s: unknown kind %q", p.Name, p.Kind)
	}
	if p.Every > 0 && time.Duration(p.Every) < time.Millisecond {
		return probes.Def{}, fmt.Errorf("probe %s: every %s is below 1ms", p.Name, time.Duration(p.Every))
	}
	return probes.Def{Name: p.Name, Kind: p.Kind, Params: p.Params, Every: time.Duration(p.Every), Netns: p.Netns}, nil
}

package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/faultline/faultline/experiments"
)

// ProbeOf turns a probe definition of the experiment into its start-probe
// form (the `on:` of the definition is the controller's business).
func ProbeOf(name string, def *experiments.Probe) (*Probe, error) {
	kind := def.Kind()
	b, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", name, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("probe %s: %w", name, err)
	}
	params, ok := fields[kind]
	if !ok {
		return nil, fmt.Errorf("probe %s: no %q parameters", name, kind)
	}
	return &Probe{Name: name, Kind: kind, Params: params, Every: int64(def.Interval()), Netns: def.Netns}, nil
}

// Def rebuilds the probe definition on the agent.
func (p *Probe) Def() (*experiments.Probe, error) {
	if p.Kind == "" {
		return nil, fmt.Errorf("probe %s: no kind", p.Name)
	}
	b, err := json.Marshal(map[string]json.RawMessage{p.Kind: p.Params})
	if err != nil {
		return nil, err
	}
	def := &experiments.Probe{}
	if err := json.Unmarshal(b, def); err != nil {
		return nil, fmt.Errorf("probe %s: %w", p.Name, err)
	}
	if def.Kind() != p.Kind {
		return nil, fmt.Errorf("probe %s: unknown kind %q", p.Name, p.Kind)
	}
	if p.Every > 0 && time.Duration(p.Every) < time.Millisecond {
		return nil, fmt.Errorf("probe %s: every %s is below 1ms", p.Name, time.Duration(p.Every))
	}
	def.Every = experiments.Duration(p.Every)
	def.Netns = p.Netns
	return def, nil
}

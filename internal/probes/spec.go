package probes

import (
	"encoding/json"
	"time"
)

// NewSpec builds the prober for a definition (through New) and the
// sampler spec around it: its interval and its checks' timeout.
func NewSpec(d Def) (Spec, error) {
	pr, err := New(d)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Name: d.Name, Prober: pr, Every: d.Interval(), Timeout: Timeout(d)}, nil
}

// Timeout is a probe's check timeout: its kind's `timeout` parameter, or
// its interval when that is unset (so a check never overlaps the next tick).
func Timeout(d Def) time.Duration {
	var t struct {
		Timeout Duration `json:"timeout"`
	}
	if len(d.Params) > 0 && json.Unmarshal(d.Params, &t) == nil && t.Timeout > 0 {
		return t.Timeout.D()
	}
	return d.Interval()
}

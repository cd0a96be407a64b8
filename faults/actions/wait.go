package actions

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
)

// WaitParams: wait's `with`.
type WaitParams struct {
	Duration experiments.Duration `json:"duration" required:"true"`
}

type waitAction struct{ d time.Duration }

func newWait(raw json.RawMessage) (faults.Action, error) {
	var p WaitParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Duration.D() <= 0 {
		return nil, errors.New("duration is required and must be positive")
	}
	return &waitAction{d: p.Duration.D()}, nil
}

func (a *waitAction) Describe() string         { return "wait " + a.d.String() }
func (a *waitAction) Targets() []faults.Target { return nil }

// Run waits for the duration, or less if ctx ends first (an error then).
func (a *waitAction) Run(ctx context.Context) (faults.Result, error) {
	t0 := time.Now()
	t := time.NewTimer(a.d)
	defer t.Stop()
	select {
	case <-t.C:
		return faults.Result{"waitedMs": float64(time.Since(t0).Microseconds()) / 1000}, nil
	case <-ctx.Done():
		return faults.Result{"waitedMs": float64(time.Since(t0).Microseconds()) / 1000}, ctx.Err()
	}
}

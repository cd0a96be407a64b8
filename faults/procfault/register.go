package procfault

import (
	"context"
	"encoding/json"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
)

// killParams is process.kill's `with`: a selector and the signal.
type killParams struct {
	Selector
	Signal *Signal `json:"signal,omitempty" default:"SIGKILL"`
}

func newKill(raw json.RawMessage) (faults.Fault, error) {
	var p killParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := p.Selector.validate(); err != nil {
		return nil, err
	}
	sig := unix.SIGKILL
	if p.Signal != nil {
		sig = p.Signal.Num
	}
	return &procFault{kind: "process.kill", sel: &p.Selector, sig: sig}, nil
}

func newPause(raw json.RawMessage) (faults.Fault, error) {
	var s Selector
	if err := faults.DecodeParams(raw, &s); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &procFault{kind: "process.pause", sel: &s, sig: unix.SIGSTOP, cont: unix.SIGCONT}, nil
}

func decodeUndo(raw json.RawMessage) (procUndo, error) {
	var u procUndo
	err := faults.DecodeParams(raw, &u)
	return u, err
}

func trustRaw(raw json.RawMessage) error {
	u, err := decodeUndo(raw)
	if err != nil {
		return err
	}
	return trust(u)
}

func init() {
	faults.Register(faults.Kind{
		Name:     "process.kill",
		Doc:      "signal processes (name, cmdline, pidFile or unit; netns, count/percent), default SIGKILL; revert: none, the system must heal",
		Params:   killParams{},
		NewFault: newKill,
		// Nothing to undo: the record is kept so the journal names what was signalled.
		Revert: func(context.Context, json.RawMessage) error { return nil },
		Trust:  trustRaw,
	})
	faults.Register(faults.Kind{
		Name:     "process.pause",
		Doc:      "SIGSTOP processes (same selectors as process.kill); revert: SIGCONT those whose start time still matches",
		Params:   Selector{},
		NewFault: newPause,
		Revert: func(ctx context.Context, raw json.RawMessage) error {
			u, err := decodeUndo(raw)
			if err != nil {
				return err
			}
			return continueAll(ctx, "process.pause", u, unix.SIGCONT)
		},
		Trust: trustRaw,
	})
}

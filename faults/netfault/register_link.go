package netfault

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/faultline/faultline/faults"
)

// linkRestorer is a link or switch fault whose snapshot a fresh process can
// load from an undo record.
type linkRestorer interface {
	faults.Fault
	core() *linkCore
}

func (c *linkCore) core() *linkCore { return c }

func init() {
	register := func(name, doc string, params any, build func(json.RawMessage) (faults.Fault, error)) {
		trust := linkTrust(name, build)
		faults.Register(faults.Kind{Name: name, Doc: doc, Params: params, NewFault: build, Trust: trust,
			Revert: trustedRevert(trust, linkRevertFromUndo(name, build))})
	}
	register(KindLinkDown, "cut NICs (link or links) of a netns or the host; revert restores admin state, addresses and routes", linkParams{}, newLinkDown)
	register(KindLinkFlap, "flap NICs count times: down at the start of each period, up (routes restored) halfway; revert stops it and restores like link.down", flapParams{}, newLinkFlap)
	register(KindSwitchDown, "kill a switch: a bridge and all its ports down; revert restores admin states and routes", switchParams{}, newSwitchDown)
	register(KindSwitchIsolate, "detach ports from a bridge; revert reattaches them with their settings", switchParams{}, newSwitchIsolate)
}

// linkRevertFromUndo rebuilds the fault from the parameters in the undo record,
// loads the recorded snapshot and namespace inode, and reverts.
func linkRevertFromUndo(kind string, build func(json.RawMessage) (faults.Fault, error)) func(context.Context, json.RawMessage) error {
	return func(ctx context.Context, params json.RawMessage) error {
		var u linkUndo
		if err := faults.DecodeParams(params, &u); err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		f, err := build(u.With)
		if err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		r, ok := f.(linkRestorer)
		if !ok {
			return fmt.Errorf("%s: fault cannot load an undo record", kind)
		}
		c := r.core()
		c.mu.Lock()
		before := u.Before
		c.inode, c.before, c.injected = u.Inode, &before, true
		c.mu.Unlock()
		return f.Revert(ctx)
	}
}

package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/faultline/faultline/faults"
)

// KindSwitchDown kills a switch: a bridge and every port of it go down.
const KindSwitchDown = "switch.down"

// switchDown sets every port of a bridge down, then the bridge. The ports
// are those the bridge has at Prepare.
type switchDown struct {
	*linkCore
	bridge string
	ports  []string
}

func newSwitchDown(params json.RawMessage) (faults.Fault, error) {
	var p switchParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", KindSwitchDown, err)
	}
	if err := p.validate(false); err != nil {
		return nil, fmt.Errorf("%s: %w", KindSwitchDown, err)
	}
	core, err := newLinkCore(p.Netns, p)
	if err != nil {
		return nil, err
	}
	return &switchDown{linkCore: core, bridge: p.Bridge}, nil
}

func (f *switchDown) Describe() string {
	return KindSwitchDown + " " + switchBridgeID(f.netns, f.bridge) + " and all its ports"
}

func (f *switchDown) Targets() []faults.Target {
	return []faults.Target{{Kind: "bridge", ID: switchBridgeID(f.netns, f.bridge)}}
}

// Preflight checks that the namespace exists and the bridge is a bridge.
func (f *switchDown) Preflight(ctx context.Context) error {
	return switchPreflight(ctx, f.netns, f.bridge, nil)
}

func (f *switchDown) Prepare(ctx context.Context) (faults.Undo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.prepareLocked(ctx, f.scope); err != nil {
		return faults.Undo{}, fmt.Errorf("%s: prepare: %w", KindSwitchDown, err)
	}
	return f.undoLocked(KindSwitchDown)
}

func (f *switchDown) scope(s NetnsSnapshot) ([]string, error) {
	ports, err := switchBridgePorts(f.netns, f.bridge, s)
	if err != nil {
		return nil, err
	}
	f.ports = ports
	return append([]string{f.bridge}, ports...), nil
}

func (f *switchDown) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.before == nil {
		if err := f.prepareLocked(ctx, f.scope); err != nil {
			return fmt.Errorf("%s: %w", KindSwitchDown, err)
		}
	}
	h, err := f.handleLocked()
	if err != nil {
		return fmt.Errorf("%s: %w", KindSwitchDown, err)
	}
	f.injected = true
	var errs []error
	for _, n := range append(append([]string{}, f.ports...), f.bridge) {
		if err := h.LinkSetDown(f.link(n)); err != nil {
			errs = append(errs, linkErr(f.netns, n, "set down", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", KindSwitchDown, err)
	}
	return nil
}

// Revert restores the admin state of the bridge and each port, addresses
// and routes.
func (f *switchDown) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.restoreLocked(ctx); err != nil {
		return fmt.Errorf("%s revert: %w", KindSwitchDown, err)
	}
	return nil
}

package netfault

import (
	"context"
	"encoding/json"

	"github.com/vishvananda/netlink"

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
	p, core, err := newSwitchCore(KindSwitchDown, params, false)
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
	return f.prepare(ctx, KindSwitchDown, f.scope)
}

func (f *switchDown) scope(s NetnsSnapshot) ([]string, error) {
	ports, err := switchBridgePorts(f.netns, f.bridge, s)
	if err != nil {
		return nil, err
	}
	f.ports = ports
	return append([]string{f.bridge}, ports...), nil
}

// Inject sets the ports down before the bridge; the ports are known only
// once scope has run, so the list is built inside act.
func (f *switchDown) Inject(ctx context.Context) error {
	return f.inject(ctx, KindSwitchDown, f.scope, func(h *netlink.Handle) error {
		return f.setEach(append(append([]string{}, f.ports...), f.bridge), "set down", h.LinkSetDown)
	})
}

// Revert restores the admin state of the bridge and each port, addresses
// and routes.
func (f *switchDown) Revert(ctx context.Context) error {
	return f.revert(ctx, KindSwitchDown)
}

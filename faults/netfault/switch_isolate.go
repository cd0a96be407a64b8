package netfault

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// KindSwitchIsolate detaches chosen ports from a bridge.
const KindSwitchIsolate = "switch.isolate"

// switchIsolate takes ports out of their bridge. Leaving a bridge resets a
// port's settings, so Revert reattaches and sets them back too.
type switchIsolate struct {
	*linkCore
	bridge string
	ports  []string
}

func newSwitchIsolate(params json.RawMessage) (faults.Fault, error) {
	p, core, err := newSwitchCore(KindSwitchIsolate, params, true)
	if err != nil {
		return nil, err
	}
	return &switchIsolate{linkCore: core, bridge: p.Bridge, ports: p.Ports}, nil
}

func (f *switchIsolate) Describe() string {
	return fmt.Sprintf("%s %s from bridge %s", KindSwitchIsolate,
		strings.Join(f.ports, ", "), switchBridgeID(f.netns, f.bridge))
}

func (f *switchIsolate) Targets() []faults.Target {
	ts := []faults.Target{{Kind: "bridge", ID: switchBridgeID(f.netns, f.bridge)}}
	for _, id := range linkIDs(f.netns, f.ports) {
		ts = append(ts, faults.Target{Kind: "link", ID: id})
	}
	return ts
}

// Preflight checks that the bridge is a bridge and the ports are its ports.
func (f *switchIsolate) Preflight(ctx context.Context) error {
	return switchPreflight(ctx, f.netns, f.bridge, f.ports)
}

func (f *switchIsolate) Prepare(ctx context.Context) (faults.Undo, error) {
	return f.prepare(ctx, KindSwitchIsolate, f.scope)
}

func (f *switchIsolate) scope(s NetnsSnapshot) ([]string, error) {
	if _, err := switchBridgePorts(f.netns, f.bridge, s); err != nil {
		return nil, err
	}
	if err := switchCheckPorts(f.netns, f.bridge, s, f.ports); err != nil {
		return nil, err
	}
	return append([]string{f.bridge}, f.ports...), nil
}

func (f *switchIsolate) Inject(ctx context.Context) error {
	return f.inject(ctx, KindSwitchIsolate, f.scope, func(h *netlink.Handle) error {
		return f.setEach(f.ports, "detach", h.LinkSetNoMaster)
	})
}

// Revert reattaches the ports to the bridge and restores their settings,
// admin state, addresses and routes.
func (f *switchIsolate) Revert(ctx context.Context) error {
	return f.revert(ctx, KindSwitchIsolate)
}

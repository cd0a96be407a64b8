package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// switchBridgeID names a bridge for targets and errors.
func switchBridgeID(netns, bridge string) string { return linkID(netns, bridge) }

// newSwitchCore decodes and checks the `with` of a switch kind (ports
// required or not) and makes its core.
func newSwitchCore(kind string, params json.RawMessage, needPorts bool) (switchParams, *linkCore, error) {
	var p switchParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return p, nil, fmt.Errorf("%s: %w", kind, err)
	}
	if err := p.validate(needPorts); err != nil {
		return p, nil, fmt.Errorf("%s: %w", kind, err)
	}
	core, err := newLinkCore(p.Netns, p)
	return p, core, err
}

// switchBridgePorts checks in a snapshot that bridge is a bridge and returns its
// ports, sorted.
func switchBridgePorts(netns, bridge string, s NetnsSnapshot) ([]string, error) {
	found := false
	var ports []string
	for _, l := range s.Links {
		if l.Name == bridge {
			if l.Type != "bridge" {
				return nil, fmt.Errorf("bridge %s is a %s link, not a bridge: %w", switchBridgeID(netns, bridge), l.Type, faults.ErrNotFound)
			}
			found = true
		}
		if l.Master == bridge {
			ports = append(ports, l.Name)
		}
	}
	if !found {
		return nil, fmt.Errorf("bridge %s: %w", switchBridgeID(netns, bridge), faults.ErrNotFound)
	}
	sort.Strings(ports)
	return ports, nil
}

// switchCheckPorts fails with faults.ErrNotFound for each wanted port that is
// not a port of the bridge.
func switchCheckPorts(netns, bridge string, s NetnsSnapshot, want []string) error {
	have := map[string]string{}
	for _, l := range s.Links {
		have[l.Name] = l.Master
	}
	var errs []error
	for _, p := range want {
		master, ok := have[p]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("port %s: %w", linkID(netns, p), faults.ErrNotFound))
		case master != bridge:
			errs = append(errs, fmt.Errorf("port %s is not a port of bridge %s: %w",
				linkID(netns, p), bridge, faults.ErrNotFound))
		}
	}
	return errors.Join(errs...)
}

// switchPreflight reads the namespace's links (nothing else) and checks
// the bridge and, when given, the ports.
func switchPreflight(ctx context.Context, netns, bridge string, ports []string) error {
	return withLinkHandle(ctx, netns, func(h *netlink.Handle) error {
		links, err := h.LinkList()
		if err != nil {
			return fmt.Errorf("list links in %s: %w", linkNsLabel(netns), err)
		}
		s := switchLinksOnly(links)
		if _, err := switchBridgePorts(netns, bridge, s); err != nil {
			return err
		}
		return switchCheckPorts(netns, bridge, s, ports)
	})
}

// switchLinksOnly is a snapshot of links alone, enough for membership checks.
func switchLinksOnly(links []netlink.Link) NetnsSnapshot {
	names := linkNames(links)
	var s NetnsSnapshot
	for _, l := range links {
		a := l.Attrs()
		s.Links = append(s.Links, LinkState{Name: a.Name, Index: a.Index, Type: l.Type(), Master: names[a.MasterIndex]})
	}
	return s
}

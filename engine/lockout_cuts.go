package engine

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/nsutil"
)

// stepCuts is what one fault step does to the operator's namespace.
type stepCuts struct {
	links   map[string]bool // links set down or detached
	bridges map[string]bool // bridges killed with every port
	rules   []dropRule
}

// dropRule is traffic an nftables fault drops: between a and b (both ways),
// or, with b empty, every packet to or from a.
type dropRule struct {
	kind string
	a, b []netip.Prefix
}

type cutSet map[string]*stepCuts // by step name

func (c cutSet) empty() bool { return len(c) == 0 }

// hostCuts collects, from the faults' targets and parameters, what every
// step would cut in the namespace netns.
func (p *Plan) hostCuts(netns string) cutSet {
	prefix := "netns:" + netns + "/"
	if nsutil.IsHost(netns) {
		prefix = "host/"
	}
	cuts := cutSet{}
	get := func(step string) *stepCuts {
		if cuts[step] == nil {
			cuts[step] = &stepCuts{links: map[string]bool{}, bridges: map[string]bool{}}
		}
		return cuts[step]
	}
	for _, st := range p.Steps {
		if st.Fault == nil {
			continue
		}
		name, kind := st.Step.Name, st.Step.Fault
		for _, t := range st.Fault.Targets() {
			rest, ok := strings.CutPrefix(t.ID, prefix)
			if !ok {
				continue
			}
			switch {
			case t.Kind == "link":
				get(name).links[rest] = true
			case t.Kind == "bridge" && kind == "switch.down":
				get(name).bridges[rest] = true
			}
		}
		if r, ok := nftDropRule(kind, st.Step.With, netns); ok {
			get(name).rules = append(get(name).rules, r)
		}
	}
	return cuts
}

// nftDropRule reads the address sets of an nftables fault acting in netns.
func nftDropRule(kind string, with map[string]any, netns string) (dropRule, bool) {
	var p struct {
		Netns     json.RawMessage `json:"netns"`
		A         []string        `json:"a"`
		B         []string        `json:"b"`
		Addresses []string        `json:"addresses"`
		Mode      string          `json:"mode"`
		To        []string        `json:"to"`
		From      []string        `json:"from"`
		Percent   *int            `json:"percent"`
	}
	raw, err := json.Marshal(with)
	if err != nil || json.Unmarshal(raw, &p) != nil || !inNetnsParam(p.Netns, netns) {
		return dropRule{}, false
	}
	switch {
	case kind == "net.partition":
		return dropRule{kind: kind, a: prefixes(p.A), b: prefixes(p.B)}, true
	case kind == "san.fence" && p.Mode != "links":
		return dropRule{kind: kind, a: prefixes(p.Addresses)}, true
	case kind == "net.loss" && p.Percent != nil && *p.Percent >= 100:
		if len(p.From) == 0 {
			return dropRule{kind: kind, a: prefixes(p.To)}, true
		}
		return dropRule{kind: kind, a: prefixes(p.To), b: prefixes(p.From)}, true
	}
	return dropRule{}, false
}

// inNetnsParam: a netns parameter (a name, a list, or absent = host) names netns.
func inNetnsParam(raw json.RawMessage, netns string) bool {
	var names []string
	var one string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		names = []string{""}
	case json.Unmarshal(raw, &one) == nil:
		names = []string{one}
	default:
		_ = json.Unmarshal(raw, &names)
	}
	for _, n := range names {
		if n == netns || nsutil.IsHost(n) && nsutil.IsHost(netns) {
			return true
		}
	}
	return false
}

func prefixes(in []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range in {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func inSet(set []netip.Prefix, a netip.Addr) bool {
	for _, p := range set {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func anyInSet(set []netip.Prefix, as []netip.Addr) bool {
	for _, a := range as {
		if inSet(set, a) {
			return true
		}
	}
	return false
}

// linkTopo indexes the namespace's links and addresses.
type linkTopo struct {
	byIndex map[int]netlink.Link
	ports   map[int][]netlink.Link // bridge index -> ports
	addrs   []netip.Addr
}

func newLinkTopo(links []netlink.Link) *linkTopo {
	t := &linkTopo{byIndex: map[int]netlink.Link{}, ports: map[int][]netlink.Link{}}
	for _, l := range links {
		t.byIndex[l.Attrs().Index] = l
		if m := l.Attrs().MasterIndex; m != 0 {
			t.ports[m] = append(t.ports[m], l)
		}
	}
	return t
}

// cutsLink: does the step cut traffic leaving through out? A link down, its
// bridge killed, the only way out of a bridge cut (any port of it: a path
// through a bridge may use any of them), or the parent of a VLAN/macvlan.
func (c cutSet) cutsLink(step string, out netlink.Link, t *linkTopo) (string, bool) {
	sc := c[step]
	if sc == nil {
		return "", false
	}
	for depth, l := 0, out; l != nil && depth < 4; depth++ {
		a := l.Attrs()
		if sc.links[a.Name] {
			return fmt.Sprintf("link %s down", a.Name), true
		}
		if sc.bridges[a.Name] {
			return fmt.Sprintf("switch %s down", a.Name), true
		}
		if m := t.byIndex[a.MasterIndex]; m != nil && sc.bridges[m.Attrs().Name] {
			return fmt.Sprintf("switch %s of %s down", m.Attrs().Name, a.Name), true
		}
		if l.Type() == "bridge" {
			for _, port := range t.ports[a.Index] {
				if sc.links[port.Attrs().Name] {
					return fmt.Sprintf("port %s of bridge %s cut", port.Attrs().Name, a.Name), true
				}
			}
		}
		switch l.Type() {
		case "vlan", "macvlan", "macvtap", "ipvlan":
			l = t.byIndex[a.ParentIndex]
		default:
			l = nil
		}
	}
	return "", false
}

// drops: does one of the step's nftables rules drop packets between this
// namespace (src, or any of its addresses when the route names none) and dst?
func (c cutSet) drops(step string, dst, src netip.Addr, hostAddrs []netip.Addr) (string, bool) {
	sc := c[step]
	if sc == nil {
		return "", false
	}
	srcs := hostAddrs
	if src.IsValid() && !src.IsUnspecified() {
		srcs = []netip.Addr{src}
	}
	for _, r := range sc.rules {
		if len(r.b) == 0 {
			if inSet(r.a, dst) {
				return fmt.Sprintf("%s drops every packet to or from %s", r.kind, dst), true
			}
			continue
		}
		if inSet(r.a, dst) && anyInSet(r.b, srcs) || inSet(r.b, dst) && anyInSet(r.a, srcs) {
			return fmt.Sprintf("%s drops %s from this host's address", r.kind, dst), true
		}
	}
	return "", false
}

package engine

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// stepCuts is what one fault step does to the operator's namespace, as
// the fault describes it (faults.Cutter).
type stepCuts struct {
	kind    string          // the step's kind, for messages
	links   map[string]bool // links set down or detached
	bridges map[string]bool // bridges killed with every port
	drops   []faults.Drop
}

type cutSet map[string]*stepCuts // by step name

func (c cutSet) empty() bool { return len(c) == 0 }

// hostCuts collects what every fault step would cut in the operator's
// namespace. Namespaces are compared by identity (inode), so a fault that
// names the operator's namespace under another name (a bind mount, or a
// name bound to the host's) is still seen.
func (p *Plan) hostCuts(netns string) cutSet {
	cuts := cutSet{}
	for _, st := range p.Steps {
		c, ok := st.Fault.(faults.Cutter)
		if !ok {
			continue
		}
		for _, cut := range c.Cuts() {
			if !nsutil.Same(cut.Netns, netns) {
				continue
			}
			sc := cuts[st.Step.Name]
			if sc == nil {
				sc = &stepCuts{kind: st.Step.Kind(), links: map[string]bool{}, bridges: map[string]bool{}}
				cuts[st.Step.Name] = sc
			}
			for _, l := range cut.Links {
				sc.links[l] = true
			}
			for _, b := range cut.Bridges {
				sc.bridges[b] = true
			}
			sc.drops = append(sc.drops, cut.Drops...)
		}
	}
	return cuts
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

// drops: does one of the step's filters drop packets between this
// namespace (src, or any of its addresses when the route names none) and
// dst, in either direction (a connection needs both)?
func (c cutSet) drops(step string, dst, src netip.Addr, hostAddrs []netip.Addr) (string, bool) {
	sc := c[step]
	if sc == nil {
		return "", false
	}
	srcs := hostAddrs
	if src.IsValid() && !src.IsUnspecified() {
		srcs = []netip.Addr{src}
	}
	if len(srcs) == 0 {
		srcs = []netip.Addr{{}} // no address: only a drop of everything matches
	}
	for _, d := range sc.drops {
		for _, s := range srcs {
			if !d.Matches(s, dst) && !d.Matches(dst, s) {
				continue
			}
			if d.Everything() {
				return fmt.Sprintf("%s drops every packet to or from %s", sc.kind, dst), true
			}
			return fmt.Sprintf("%s drops %s from this host's address", sc.kind, dst), true
		}
	}
	return "", false
}

package netfault

import (
	"fmt"
	"strings"
)

func (l LinkState) String() string {
	state := "down"
	if l.Up {
		state = "up"
	}
	s := fmt.Sprintf("link %s index %d type %s %s", l.Name, l.Index, l.Type, state)
	if l.Master != "" {
		s += " master " + l.Master
	}
	return s
}

// String leaves the lifetimes out: they tick, and are not state to compare.
func (a AddrState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "addr %s dev %s scope %d", a.CIDR, a.Link, a.Scope)
	if a.Peer != "" {
		b.WriteString(" peer " + a.Peer)
	}
	if a.Broadcast != "" {
		b.WriteString(" brd " + a.Broadcast)
	}
	if a.Label != "" {
		b.WriteString(" label " + a.Label)
	}
	if a.Flags != 0 {
		fmt.Fprintf(&b, " flags %#x", a.Flags)
	}
	return b.String()
}

func (r RouteState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "route family %d table %d type %d %s", r.Family, r.Table, r.Type, r.Dst)
	if r.Gw != "" {
		b.WriteString(" via " + r.Gw)
	}
	if r.Link != "" {
		b.WriteString(" dev " + r.Link)
	}
	if r.Src != "" {
		b.WriteString(" src " + r.Src)
	}
	fmt.Fprintf(&b, " proto %d scope %d metric %d", r.Protocol, r.Scope, r.Priority)
	if r.Tos != 0 {
		fmt.Fprintf(&b, " tos %d", r.Tos)
	}
	if r.Flags != 0 {
		fmt.Fprintf(&b, " flags %#x", r.Flags)
	}
	if r.Realm != 0 {
		fmt.Fprintf(&b, " realm %d", r.Realm)
	}
	if r.MTU != 0 || r.AdvMSS != 0 || r.Hoplimit != 0 {
		fmt.Fprintf(&b, " mtu %d advmss %d hoplimit %d", r.MTU, r.AdvMSS, r.Hoplimit)
	}
	for _, nh := range r.Nexthops {
		fmt.Fprintf(&b, " nexthop via %s dev %s weight %d", nh.Gw, nh.Link, nh.Hops+1)
		if nh.Flags != 0 {
			fmt.Fprintf(&b, " flags %#x", nh.Flags)
		}
	}
	return b.String()
}

func (p PortState) String() string {
	return fmt.Sprintf("port %s bridge %s hairpin=%t guard=%t fastleave=%t rootblock=%t learning=%t flood=%t proxyarp=%t proxyarpwifi=%t isolated=%t neighsuppress=%t",
		p.Link, p.Bridge, p.Hairpin, p.Guard, p.FastLeave, p.RootBlock, p.Learning, p.Flood,
		p.ProxyArp, p.ProxyArpWiFi, p.Isolated, p.NeighSuppress)
}

// lines is the snapshot as one line per item, the form Diff compares.
func (s NetnsSnapshot) lines() []string {
	var out []string
	for _, l := range s.Links {
		out = append(out, l.String())
	}
	for _, a := range s.Addrs {
		out = append(out, a.String())
	}
	for _, r := range s.Routes {
		out = append(out, r.String())
	}
	for _, p := range s.Ports {
		out = append(out, p.String())
	}
	return out
}

// Diff lists what differs from before to s: "- item" for what is gone,
// "+ item" for what is new. Empty means equal.
func (s NetnsSnapshot) Diff(before NetnsSnapshot) []string {
	now := snapshotCountLines(s.lines())
	was := snapshotCountLines(before.lines())
	var out []string
	for _, l := range before.lines() {
		if now[l] > 0 {
			now[l]--
			continue
		}
		out = append(out, "- "+l)
	}
	for _, l := range s.lines() {
		if was[l] > 0 {
			was[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	return out
}

// Equal reports whether s and o describe the same state.
func (s NetnsSnapshot) Equal(o NetnsSnapshot) bool { return len(s.Diff(o)) == 0 }

func snapshotCountLines(ls []string) map[string]int {
	m := make(map[string]int, len(ls))
	for _, l := range ls {
		m[l]++
	}
	return m
}

// Only keeps the part of s that concerns the named links: the links, their
// addresses and port settings, and the routes that leave through one of them
// (directly or as a multipath nexthop) or take a source address of theirs.
func (s NetnsSnapshot) Only(links []string) NetnsSnapshot {
	want := map[string]bool{}
	for _, l := range links {
		want[l] = true
	}
	out := NetnsSnapshot{Netns: s.Netns}
	for _, l := range s.Links {
		if want[l.Name] {
			out.Links = append(out.Links, l)
		}
	}
	srcs := map[string]bool{}
	for _, a := range s.Addrs {
		if want[a.Link] {
			out.Addrs = append(out.Addrs, a)
			srcs[snapshotAddrIP(a.CIDR)] = true
		}
	}
	for _, r := range s.Routes {
		if snapshotRouteUses(r, want) || (r.Src != "" && srcs[r.Src]) {
			out.Routes = append(out.Routes, r)
		}
	}
	for _, p := range s.Ports {
		if want[p.Link] {
			out.Ports = append(out.Ports, p)
		}
	}
	return out
}

func snapshotRouteUses(r RouteState, links map[string]bool) bool {
	if links[r.Link] {
		return true
	}
	for _, nh := range r.Nexthops {
		if links[nh.Link] {
			return true
		}
	}
	return false
}

func snapshotAddrIP(cidr string) string {
	ip, _, ok := strings.Cut(cidr, "/")
	if !ok {
		return cidr
	}
	return ip
}

package netfault

import (
	"context"
	"fmt"
	"net"
	"sort"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
)

// NetnsSnapshot is the network state of one namespace that link and switch
// faults promise to leave as they found it: links (admin state, master),
// addresses, routes of every table in both families, and bridge port
// settings. Every list is sorted, so two snapshots compare with Diff (or
// Equal) and read well in a failure message.
type NetnsSnapshot struct {
	Netns  string       `json:"netns"`
	Links  []LinkState  `json:"links"`
	Addrs  []AddrState  `json:"addrs,omitempty"`
	Routes []RouteState `json:"routes,omitempty"`
	Ports  []PortState  `json:"ports,omitempty"`
}

// LinkState is one link's identity, admin state and master.
type LinkState struct {
	Name   string `json:"name"`
	Index  int    `json:"index"`
	Type   string `json:"type"`
	Up     bool   `json:"up"`
	Master string `json:"master,omitempty"`
}

// AddrState is one address. Flags keeps only what an operator sets
// (nodad, noprefixroute...), not the progress of duplicate detection.
// Lifetimes are kept for restoring dynamic addresses but never compared.
type AddrState struct {
	Link        string `json:"link"`
	CIDR        string `json:"cidr"`
	Peer        string `json:"peer,omitempty"`
	Broadcast   string `json:"broadcast,omitempty"`
	Label       string `json:"label,omitempty"`
	Scope       int    `json:"scope"`
	Flags       int    `json:"flags,omitempty"`
	ValidLft    int    `json:"validLft,omitempty"`
	PreferedLft int    `json:"preferedLft,omitempty"`
}

// RouteState is one route with the attributes a restore must reproduce.
// Dst is always a CIDR ("0.0.0.0/0" for a default route).
type RouteState struct {
	Family   int            `json:"family"`
	Table    int            `json:"table"`
	Type     int            `json:"type"`
	Dst      string         `json:"dst"`
	Src      string         `json:"src,omitempty"`
	Gw       string         `json:"gw,omitempty"`
	Link     string         `json:"link,omitempty"`
	Scope    int            `json:"scope"`
	Protocol int            `json:"protocol"`
	Priority int            `json:"priority"`
	Tos      int            `json:"tos,omitempty"`
	Flags    int            `json:"flags,omitempty"`
	Realm    int            `json:"realm,omitempty"`
	MTU      int            `json:"mtu,omitempty"`
	AdvMSS   int            `json:"advmss,omitempty"`
	Hoplimit int            `json:"hoplimit,omitempty"`
	Nexthops []NexthopState `json:"nexthops,omitempty"`
}

// NexthopState is one path of a multipath route.
type NexthopState struct {
	Link  string `json:"link"`
	Gw    string `json:"gw,omitempty"`
	Hops  int    `json:"hops,omitempty"`
	Flags int    `json:"flags,omitempty"`
}

// PortState is a bridge port and the per-port switches that detaching it
// from its bridge would reset.
type PortState struct {
	Link          string `json:"link"`
	Bridge        string `json:"bridge"`
	Hairpin       bool   `json:"hairpin,omitempty"`
	Guard         bool   `json:"guard,omitempty"`
	FastLeave     bool   `json:"fastLeave,omitempty"`
	RootBlock     bool   `json:"rootBlock,omitempty"`
	Learning      bool   `json:"learning,omitempty"`
	Flood         bool   `json:"flood,omitempty"`
	ProxyArp      bool   `json:"proxyArp,omitempty"`
	ProxyArpWiFi  bool   `json:"proxyArpWiFi,omitempty"`
	Isolated      bool   `json:"isolated,omitempty"`
	NeighSuppress bool   `json:"neighSuppress,omitempty"`
}

// Flags that an operator sets on an address; the rest (tentative,
// deprecated, dadfailed...) change on their own.
const snapshotAddrFlags = unix.IFA_F_NODAD | unix.IFA_F_HOMEADDRESS | unix.IFA_F_NOPREFIXROUTE |
	unix.IFA_F_MANAGETEMPADDR | unix.IFA_F_MCAUTOJOIN | unix.IFA_F_PERMANENT

// Route flags an operator sets; dead/linkdown are the kernel's verdicts.
const snapshotRouteFlags = unix.RTNH_F_ONLINK

// SnapshotNetns records the links, addresses, routes and bridge ports of a
// namespace ("" or "host" for the host) so a later snapshot can be compared
// with it.
func SnapshotNetns(ctx context.Context, netns string) (NetnsSnapshot, error) {
	var s NetnsSnapshot
	err := withLinkHandle(ctx, netns, func(h *netlink.Handle) error {
		var err error
		s, err = snapshotTake(ctx, h, netns)
		return err
	})
	return s, err
}

// snapshotTake reads the whole state of the namespace behind h.
func snapshotTake(ctx context.Context, h *netlink.Handle, netns string) (NetnsSnapshot, error) {
	s := NetnsSnapshot{Netns: netns}
	if nsutil.IsHost(netns) {
		s.Netns = "host"
	}
	links, err := h.LinkList()
	if err != nil {
		return s, fmt.Errorf("list links in %s: %w", linkNsLabel(netns), err)
	}
	names := linkNames(links)
	for _, l := range links {
		a := l.Attrs()
		s.Links = append(s.Links, LinkState{
			Name: a.Name, Index: a.Index, Type: l.Type(),
			Up: a.Flags&net.FlagUp != 0, Master: names[a.MasterIndex],
		})
		master := linkByIndex(links, a.MasterIndex)
		if master != nil && master.Type() == "bridge" {
			if err := ctx.Err(); err != nil {
				return s, err
			}
			pi, err := h.LinkGetProtinfo(l)
			if err != nil {
				return s, fmt.Errorf("bridge port %s: %w", linkID(netns, a.Name), err)
			}
			s.Ports = append(s.Ports, snapshotPortState(a.Name, master.Attrs().Name, pi))
		}
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return s, fmt.Errorf("list addresses in %s: %w", linkNsLabel(netns), err)
	}
	for _, a := range addrs {
		s.Addrs = append(s.Addrs, snapshotAddrState(a, names))
	}
	routes, err := snapshotListRoutes(h)
	if err != nil {
		return s, fmt.Errorf("list routes in %s: %w", linkNsLabel(netns), err)
	}
	for _, r := range routes {
		s.Routes = append(s.Routes, snapshotRouteState(r, names))
	}
	s.sortAll()
	return s, nil
}

// snapshotListRoutes dumps the routes of every table, both families.
func snapshotListRoutes(h *netlink.Handle) ([]netlink.Route, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_UNSPEC}
	return h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE)
}

func linkNames(links []netlink.Link) map[int]string {
	m := make(map[int]string, len(links))
	for _, l := range links {
		m[l.Attrs().Index] = l.Attrs().Name
	}
	return m
}

func linkByIndex(links []netlink.Link, idx int) netlink.Link {
	if idx == 0 {
		return nil
	}
	for _, l := range links {
		if l.Attrs().Index == idx {
			return l
		}
	}
	return nil
}

func snapshotPortState(link, bridge string, pi netlink.Protinfo) PortState {
	return PortState{
		Link: link, Bridge: bridge,
		Hairpin: pi.Hairpin, Guard: pi.Guard, FastLeave: pi.FastLeave, RootBlock: pi.RootBlock,
		Learning: pi.Learning, Flood: pi.Flood, ProxyArp: pi.ProxyArp, ProxyArpWiFi: pi.ProxyArpWiFi,
		Isolated: pi.Isolated, NeighSuppress: pi.NeighSuppress,
	}
}

func snapshotAddrState(a netlink.Addr, names map[int]string) AddrState {
	s := AddrState{
		Link:  names[a.LinkIndex],
		CIDR:  a.IPNet.String(),
		Label: a.Label,
		Scope: a.Scope,
		Flags: a.Flags & snapshotAddrFlags,
	}
	if a.Peer != nil {
		s.Peer = a.Peer.String()
	}
	if a.Broadcast != nil {
		s.Broadcast = a.Broadcast.String()
	}
	// The label defaults to the link name; keep it only when it says more.
	if s.Label == s.Link {
		s.Label = ""
	}
	if a.Flags&unix.IFA_F_PERMANENT == 0 {
		s.ValidLft, s.PreferedLft = a.ValidLft, a.PreferedLft
	}
	return s
}

func snapshotRouteState(r netlink.Route, names map[int]string) RouteState {
	s := RouteState{
		Family: r.Family, Table: r.Table, Type: r.Type,
		Link: names[r.LinkIndex], Scope: int(r.Scope), Protocol: int(r.Protocol),
		Priority: r.Priority, Tos: r.Tos, Flags: r.Flags & snapshotRouteFlags,
		Realm: r.Realm, MTU: r.MTU, AdvMSS: r.AdvMSS, Hoplimit: r.Hoplimit,
	}
	s.Dst = snapshotDst(r.Dst, r.Family)
	if r.Src != nil {
		s.Src = r.Src.String()
	}
	if r.Gw != nil {
		s.Gw = r.Gw.String()
	}
	for _, nh := range r.MultiPath {
		n := NexthopState{Link: names[nh.LinkIndex], Hops: nh.Hops, Flags: nh.Flags & snapshotRouteFlags}
		if nh.Gw != nil {
			n.Gw = nh.Gw.String()
		}
		s.Nexthops = append(s.Nexthops, n)
	}
	return s
}

func snapshotDst(dst *net.IPNet, family int) string {
	if dst != nil {
		return dst.String()
	}
	if family == unix.AF_INET6 {
		return "::/0"
	}
	return "0.0.0.0/0"
}

func (s *NetnsSnapshot) sortAll() {
	sort.Slice(s.Links, func(i, j int) bool { return s.Links[i].Name < s.Links[j].Name })
	sort.Slice(s.Addrs, func(i, j int) bool { return s.Addrs[i].String() < s.Addrs[j].String() })
	sort.Slice(s.Routes, func(i, j int) bool { return s.Routes[i].String() < s.Routes[j].String() })
	sort.Slice(s.Ports, func(i, j int) bool { return s.Ports[i].Link < s.Ports[j].Link })
}

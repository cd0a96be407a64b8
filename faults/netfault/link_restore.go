package netfault

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
)

// linkRestoreSnapshot puts the links of want back as recorded: master,
// bridge port settings, admin state, addresses, then routes. It only
// changes what differs, so running it twice, or on a namespace that never
// changed, is harmless. A link that no longer exists is reported as
// faults.ErrNotFound; the other links are still restored.
func linkRestoreSnapshot(ctx context.Context, h *netlink.Handle, netns string, want NetnsSnapshot) error {
	links, err := h.LinkList()
	if err != nil {
		return fmt.Errorf("list links in %s: %w", linkNsLabel(netns), err)
	}
	byName := map[string]netlink.Link{}
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	names := linkNames(links)
	var errs []error
	for _, ls := range want.Links {
		if _, ok := byName[ls.Name]; !ok {
			errs = append(errs, fmt.Errorf("restore link %s: %w", linkID(netns, ls.Name), faults.ErrNotFound))
		}
	}
	steps := []func() []error{
		func() []error { return linkRestoreMasters(h, netns, want, byName, names) },
		func() []error { return linkRestorePorts(h, netns, want, byName) },
		func() []error { return linkRestoreAdminState(h, netns, want, byName) },
		func() []error { return linkRestoreAddrs(h, netns, want, byName, names) },
		func() []error { return linkRestoreRoutes(h, netns, want, names) },
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		errs = append(errs, step()...)
	}
	return errors.Join(errs...)
}

func linkRestoreMasters(h *netlink.Handle, netns string, want NetnsSnapshot, byName map[string]netlink.Link, names map[int]string) []error {
	var errs []error
	for _, ls := range want.Links {
		l, ok := byName[ls.Name]
		if !ok || names[l.Attrs().MasterIndex] == ls.Master {
			continue
		}
		if ls.Master == "" {
			if err := h.LinkSetNoMaster(l); err != nil {
				errs = append(errs, linkErr(netns, ls.Name, "detach", err))
			}
			continue
		}
		m, ok := byName[ls.Master]
		if !ok {
			errs = append(errs, fmt.Errorf("reattach %s: master %s: %w",
				linkID(netns, ls.Name), linkID(netns, ls.Master), faults.ErrNotFound))
			continue
		}
		if err := h.LinkSetMaster(l, m); err != nil {
			errs = append(errs, linkErr(netns, ls.Name, "reattach", err))
		}
	}
	return errs
}

// linkRestorePorts resets the per-port switches, which a port loses when it
// leaves its bridge.
func linkRestorePorts(h *netlink.Handle, netns string, want NetnsSnapshot, byName map[string]netlink.Link) []error {
	var errs []error
	for _, ps := range want.Ports {
		l, ok := byName[ps.Link]
		if !ok {
			continue
		}
		pi, err := h.LinkGetProtinfo(l)
		if err != nil {
			errs = append(errs, linkErr(netns, ps.Link, "read port settings of", err))
			continue
		}
		cur := snapshotPortState(ps.Link, ps.Bridge, pi)
		if cur == ps {
			continue
		}
		if err := linkSetPortFlags(h, l, cur, ps); err != nil {
			errs = append(errs, linkErr(netns, ps.Link, "restore port settings of", err))
		}
	}
	return errs
}

func linkSetPortFlags(h *netlink.Handle, l netlink.Link, cur, want PortState) error {
	type flag struct {
		cur, want bool
		set       func(netlink.Link, bool) error
	}
	flags := []flag{
		{cur.Hairpin, want.Hairpin, h.LinkSetHairpin},
		{cur.Guard, want.Guard, h.LinkSetGuard},
		{cur.FastLeave, want.FastLeave, h.LinkSetFastLeave},
		{cur.RootBlock, want.RootBlock, h.LinkSetRootBlock},
		{cur.Learning, want.Learning, h.LinkSetLearning},
		{cur.Flood, want.Flood, h.LinkSetFlood},
		{cur.ProxyArp, want.ProxyArp, h.LinkSetBrProxyArp},
		{cur.ProxyArpWiFi, want.ProxyArpWiFi, h.LinkSetBrProxyArpWiFi},
		{cur.Isolated, want.Isolated, h.LinkSetIsolated},
		{cur.NeighSuppress, want.NeighSuppress, h.LinkSetBrNeighSuppress},
	}
	var errs []error
	for _, f := range flags {
		if f.cur != f.want {
			if err := f.set(l, f.want); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func linkRestoreAdminState(h *netlink.Handle, netns string, want NetnsSnapshot, byName map[string]netlink.Link) []error {
	var errs []error
	for _, ls := range want.Links {
		l, ok := byName[ls.Name]
		if !ok || (l.Attrs().Flags&net.FlagUp != 0) == ls.Up {
			continue
		}
		set, op := h.LinkSetDown, "set down"
		if ls.Up {
			set, op = h.LinkSetUp, "set up"
		}
		if err := set(l); err != nil {
			errs = append(errs, linkErr(netns, ls.Name, op, err))
		}
	}
	return errs
}

// linkRestoreAddrs adds the addresses that went away (IPv6 ones leave with the
// link going down) and rewrites those whose attributes changed.
func linkRestoreAddrs(h *netlink.Handle, netns string, want NetnsSnapshot, byName map[string]netlink.Link, names map[int]string) []error {
	if len(want.Addrs) == 0 {
		return nil
	}
	cur, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return []error{fmt.Errorf("list addresses in %s: %w", linkNsLabel(netns), err)}
	}
	have := map[string]AddrState{}
	for _, a := range cur {
		s := snapshotAddrState(a, names)
		have[s.Link+" "+s.CIDR] = s
	}
	var errs []error
	for _, a := range want.Addrs {
		l, ok := byName[a.Link]
		if !ok {
			continue
		}
		got, present := have[a.Link+" "+a.CIDR]
		if present && got.String() == a.String() {
			continue
		}
		na, err := a.toNetlink()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		op, apply := "add", h.AddrAdd
		if present {
			op, apply = "replace", h.AddrReplace
		}
		if err := apply(l, na); err != nil && !errors.Is(err, unix.EEXIST) {
			errs = append(errs, fmt.Errorf("%s address %s on %s: %w", op, a.CIDR, linkID(netns, a.Link), err))
		}
	}
	return errs
}

func (a AddrState) toNetlink() (*netlink.Addr, error) {
	na, err := netlink.ParseAddr(a.CIDR)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", a.CIDR, err)
	}
	na.Label = a.Label
	na.Scope = a.Scope
	na.Flags = a.Flags &^ unix.IFA_F_PERMANENT
	na.ValidLft, na.PreferedLft = a.ValidLft, a.PreferedLft
	if a.Peer != "" {
		if na.Peer, err = netlink.ParseIPNet(a.Peer); err != nil {
			return nil, fmt.Errorf("peer %q: %w", a.Peer, err)
		}
	}
	switch {
	case a.Broadcast != "":
		na.Broadcast = net.ParseIP(a.Broadcast)
	case na.IP.To4() != nil:
		// Unset means none: stop netlink from computing one.
		na.Broadcast = net.IPv4zero
	}
	return na, nil
}

package netfault

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
)

// linkRestoreRoutes re-adds the recorded routes that are missing or changed.
// Routes of protocol "kernel" are left to the kernel: it derives them from
// addresses and link state, and re-adding them ourselves would race it.
// Routes may depend on each other (a gateway needs its subnet route), so
// failures are retried while a pass makes progress.
// names maps the namespace's link indexes to names; restoring masters,
// admin state or addresses does not change them.
func linkRestoreRoutes(h *netlink.Handle, netns string, want NetnsSnapshot, names map[int]string) []error {
	var pending []RouteState
	for _, r := range want.Routes {
		if r.Protocol != unix.RTPROT_KERNEL {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	cur, err := snapshotListRoutes(h)
	if err != nil {
		return []error{fmt.Errorf("list routes in %s: %w", linkNsLabel(netns), err)}
	}
	have := map[string]bool{}
	for _, r := range cur {
		have[snapshotRouteState(r, names).String()] = true
	}
	missing := pending[:0]
	for _, r := range pending {
		if !have[r.String()] {
			missing = append(missing, r)
		}
	}
	var errs []error
	for len(missing) > 0 {
		var failed []RouteState
		errs = errs[:0]
		for _, r := range missing {
			nr, err := r.toNetlink(index)
			if err == nil {
				err = h.RouteReplace(nr)
			}
			if err != nil {
				failed = append(failed, r)
				errs = append(errs, fmt.Errorf("restore %s in %s: %w", r, linkNsLabel(netns), err))
			}
		}
		if len(failed) == len(missing) {
			break
		}
		missing = failed
	}
	return errs
}

// toNetlink builds the route for RouteReplace, resolving link names to the
// indexes they have now.
func (r RouteState) toNetlink(index map[string]int) (*netlink.Route, error) {
	nr := &netlink.Route{
		Family: r.Family, Table: r.Table, Type: r.Type,
		Scope: netlink.Scope(r.Scope), Protocol: netlink.RouteProtocol(r.Protocol),
		Priority: r.Priority, Tos: r.Tos, Flags: r.Flags, Realm: r.Realm,
		MTU: r.MTU, AdvMSS: r.AdvMSS, Hoplimit: r.Hoplimit,
	}
	var err error
	if nr.Dst, err = netlink.ParseIPNet(r.Dst); err != nil {
		return nil, fmt.Errorf("dst %q: %w", r.Dst, err)
	}
	if r.Src != "" {
		if nr.Src = net.ParseIP(r.Src); nr.Src == nil {
			return nil, fmt.Errorf("src %q: not an address", r.Src)
		}
	}
	if r.Gw != "" {
		if nr.Gw = net.ParseIP(r.Gw); nr.Gw == nil {
			return nil, fmt.Errorf("gateway %q: not an address", r.Gw)
		}
	}
	if r.Link != "" {
		i, ok := index[r.Link]
		if !ok {
			return nil, fmt.Errorf("link %q: %w", r.Link, faults.ErrNotFound)
		}
		nr.LinkIndex = i
	}
	for _, nh := range r.Nexthops {
		i, ok := index[nh.Link]
		if !ok {
			return nil, fmt.Errorf("nexthop link %q: %w", nh.Link, faults.ErrNotFound)
		}
		ni := &netlink.NexthopInfo{LinkIndex: i, Hops: nh.Hops, Flags: nh.Flags}
		if nh.Gw != "" {
			if ni.Gw = net.ParseIP(nh.Gw); ni.Gw == nil {
				return nil, fmt.Errorf("nexthop gateway %q: not an address", nh.Gw)
			}
		}
		nr.MultiPath = append(nr.MultiPath, ni)
	}
	return nr, nil
}

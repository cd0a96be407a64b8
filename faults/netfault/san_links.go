package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/nsutil"
)

// sanLinksFence takes a SAN node's links down. Taking a link down flushes
// its routes (and its IPv6 addresses), so Prepare records them and Revert
// brings the link up and adds back whatever is missing.
type sanLinksFence struct {
	netns string
	links []string
	undo  *sanLinksUndo
}

type sanLinksUndo struct {
	Netns string         `json:"netns"`
	Inode uint64         `json:"inode"`
	Links []sanLinkState `json:"links"`
}

type sanLinkState struct {
	Name   string     `json:"name"`
	Index  int        `json:"index"`
	WasUp  bool       `json:"wasUp"`
	Addrs  []sanAddr  `json:"addrs"`
	Routes []sanRoute `json:"routes"`
}

type sanAddr struct {
	CIDR  string `json:"cidr"`
	Scope int    `json:"scope"`
	Flags int    `json:"flags"`
	Label string `json:"label,omitempty"`
}

type sanRoute struct {
	Family   int    `json:"family"`
	Dst      string `json:"dst,omitempty"`
	Gw       string `json:"gw,omitempty"`
	Src      string `json:"src,omitempty"`
	Priority int    `json:"priority"`
	Table    int    `json:"table"`
	Scope    int    `json:"scope"`
	Protocol int    `json:"protocol"`
	Type     int    `json:"type"`
}

func newSANFenceLinks(p SANFenceParams) (faults.Fault, error) {
	if len(p.Addresses) > 0 || p.Table != "" {
		return nil, fmt.Errorf("san.fence: mode links takes netns and links only")
	}
	if len(p.Netns) > 1 {
		return nil, fmt.Errorf("san.fence: mode links takes one netns (the SAN node's)")
	}
	if len(p.Links) == 0 {
		return nil, fmt.Errorf("san.fence: mode links needs at least one link")
	}
	ns := ""
	if len(p.Netns) == 1 {
		ns = p.Netns[0]
	}
	return &sanLinksFence{netns: ns, links: p.Links}, nil
}

func (f *sanLinksFence) Describe() string {
	return fmt.Sprintf("fence SAN by taking %s down in %s", strings.Join(f.links, ", "), nftNetnsID(f.netns))
}

func (f *sanLinksFence) Targets() []faults.Target {
	out := make([]faults.Target, len(f.links))
	for i, l := range f.links {
		out[i] = faults.Target{Kind: "link", ID: nftNetnsID(f.netns) + "/" + l}
	}
	return out
}

func (f *sanLinksFence) Preflight(ctx context.Context) error {
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return fmt.Errorf("san.fence: %w", nftWrapErr(err))
	}
	defer h.Close()
	for _, name := range f.links {
		if _, err := h.LinkByName(name); err != nil {
			return fmt.Errorf("san.fence: link %s in %s: %w", name, nftNetnsID(f.netns), faults.ErrNotFound)
		}
	}
	return ctx.Err()
}

func (f *sanLinksFence) Prepare(ctx context.Context) (faults.Undo, error) {
	ino, err := nsutil.Inode(f.netns)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("san.fence: %w", nftWrapErr(err))
	}
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("san.fence: %w", nftWrapErr(err))
	}
	defer h.Close()
	u := &sanLinksUndo{Netns: f.netns, Inode: ino}
	for _, name := range f.links {
		st, err := sanSnapshotLink(h, name)
		if err != nil {
			return faults.Undo{}, fmt.Errorf("san.fence: %w", err)
		}
		u.Links = append(u.Links, st)
	}
	f.undo = u
	raw, err := json.Marshal(sanUndo{Mode: "links", Links: u})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: "san.fence", Params: raw}, ctx.Err()
}

func sanSnapshotLink(h *netlink.Handle, name string) (sanLinkState, error) {
	l, err := h.LinkByName(name)
	if err != nil {
		return sanLinkState{}, fmt.Errorf("link %s: %w", name, faults.ErrNotFound)
	}
	st := sanLinkState{Name: name, Index: l.Attrs().Index, WasUp: l.Attrs().Flags&net.FlagUp != 0}
	addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return st, fmt.Errorf("addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IP.To4() == nil && a.IP.IsLinkLocalUnicast() {
			continue // the kernel makes IPv6 link-local addresses itself on up
		}
		st.Addrs = append(st.Addrs, sanAddr{CIDR: a.IPNet.String(), Scope: a.Scope, Flags: a.Flags, Label: a.Label})
	}
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{LinkIndex: st.Index, Table: unix.RT_TABLE_UNSPEC},
		netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		return st, fmt.Errorf("routes of %s: %w", name, err)
	}
	for _, r := range routes {
		if r.Table == unix.RT_TABLE_LOCAL || len(r.MultiPath) > 0 {
			continue // local routes follow the addresses; multipath is not ours to rebuild
		}
		sr := sanRoute{Family: r.Family, Priority: r.Priority, Table: r.Table,
			Scope: int(r.Scope), Protocol: int(r.Protocol), Type: r.Type}
		if r.Dst != nil {
			sr.Dst = r.Dst.String()
		}
		if r.Gw != nil {
			sr.Gw = r.Gw.String()
		}
		if r.Src != nil {
			sr.Src = r.Src.String()
		}
		st.Routes = append(st.Routes, sr)
	}
	return st, nil
}

func (f *sanLinksFence) Inject(ctx context.Context) error {
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return fmt.Errorf("san.fence: %w", nftWrapErr(err))
	}
	defer h.Close()
	for _, name := range f.links {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("san.fence: link %s: %w", name, faults.ErrNotFound)
		}
		if err := h.LinkSetDown(l); err != nil {
			return fmt.Errorf("san.fence: %s down: %w", name, nftWrapErr(err))
		}
	}
	return nil
}

func (f *sanLinksFence) Revert(ctx context.Context) error {
	if f.undo == nil {
		return nil // never prepared, so never injected
	}
	return f.undo.revert(ctx)
}

// revert brings each link that was up back up, then re-adds missing
// addresses and routes. A namespace or link that was recreated since is
// not the one we fenced and is left alone.
func (u *sanLinksUndo) revert(ctx context.Context) error {
	ino, err := nsutil.Inode(u.Netns)
	if errors.Is(err, os.ErrNotExist) || (err == nil && ino != u.Inode) {
		return nil
	}
	h, err := nsutil.Handle(u.Netns)
	if err != nil {
		return fmt.Errorf("san.fence revert: %w", nftWrapErr(err))
	}
	defer h.Close()
	var errs []error
	for _, st := range u.Links {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sanRestoreLink(h, st); err != nil {
			errs = append(errs, fmt.Errorf("san.fence revert %s: %w", st.Name, err))
		}
	}
	return errors.Join(errs...)
}

func sanRestoreLink(h *netlink.Handle, st sanLinkState) error {
	l, err := h.LinkByName(st.Name)
	if err != nil || l.Attrs().Index != st.Index || !st.WasUp {
		return nil
	}
	if err := h.LinkSetUp(l); err != nil {
		return nftWrapErr(err)
	}
	for _, a := range st.Addrs {
		ipn, err := netlink.ParseIPNet(a.CIDR)
		if err != nil {
			return err
		}
		addr := &netlink.Addr{IPNet: ipn, Scope: a.Scope, Flags: a.Flags, Label: a.Label}
		if err := h.AddrAdd(l, addr); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("address %s: %w", a.CIDR, err)
		}
	}
	for _, r := range st.Routes {
		nr, err := r.route(st.Index)
		if err != nil {
			return err
		}
		if err := h.RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("route %s via %s: %w", r.Dst, r.Gw, err)
		}
	}
	return nil
}

func (r sanRoute) route(index int) (*netlink.Route, error) {
	nr := &netlink.Route{LinkIndex: index, Family: r.Family, Priority: r.Priority, Table: r.Table,
		Scope: netlink.Scope(r.Scope), Protocol: netlink.RouteProtocol(r.Protocol), Type: r.Type}
	if r.Dst != "" {
		_, dst, err := net.ParseCIDR(r.Dst)
		if err != nil {
			return nil, fmt.Errorf("route dst %q: %w", r.Dst, err)
		}
		nr.Dst = dst
	}
	nr.Gw = net.ParseIP(r.Gw)
	nr.Src = net.ParseIP(r.Src)
	return nr, nil
}

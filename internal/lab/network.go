package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// BridgeName is the bridge of every switch, and of every node that has
// several uplinks or runs VMs.
const BridgeName = "br0"

// UplinkName is the name of a node's n-th uplink (0-based): up1, up2, ...
// The switch end of that uplink is named after the node.
func UplinkName(n int) string { return fmt.Sprintf("up%d", n+1) }

// hasBridge tells whether a node joins its uplinks with a bridge.
func hasBridge(uplinks []string, hypervisor bool) bool { return hypervisor || len(uplinks) > 1 }

// buildNetwork makes every namespace, bridge and veth of the topology.
// Each step is idempotent, so a second Up only fills in what is missing.
func (l *builder) buildNetwork(ctx context.Context) error {
	t := l.topo
	for _, s := range t.Switches {
		if err := l.namespace(s.Name); err != nil {
			return err
		}
		if err := l.bridge(s.Name, s.Priority); err != nil {
			return err
		}
	}
	for _, tr := range t.Trunks {
		if err := l.veth(tr[0], tr[1], tr[1], tr[0]); err != nil {
			return err
		}
	}
	type host struct {
		name, address string
		uplinks       []string
		hypervisor    bool
		priority      int
	}
	var hosts []host
	for _, n := range t.Nodes {
		hosts = append(hosts, host{n.Name, n.Address, n.Uplinks, false, n.Priority})
	}
	for _, h := range t.Hypervisors {
		hosts = append(hosts, host{h.Name, h.Address, h.Uplinks, true, 0})
	}
	for _, h := range hosts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.namespace(h.name); err != nil {
			return err
		}
		bridged := hasBridge(h.uplinks, h.hypervisor)
		if bridged {
			if err := l.bridge(h.name, h.priority); err != nil {
				return err
			}
		}
		if h.hypervisor {
			if err := l.vmBridge(h.name); err != nil {
				return err
			}
		}
		for i, sw := range h.uplinks {
			if err := l.veth(h.name, UplinkName(i), sw, h.name); err != nil {
				return err
			}
		}
		on := UplinkName(0)
		if bridged {
			on = BridgeName
		}
		if err := addAddress(h.name, on, h.address); err != nil {
			return err
		}
	}
	return nil
}

// namespace creates a named netns (recording it first, so that a crash
// right after still leaves a trace for Down).
func (l *builder) namespace(name string) error {
	if err := l.st.add(func(s *record) { s.Namespaces = appendOnce(s.Namespaces, name) }); err != nil {
		return err
	}
	err := nsutil.Create(name)
	if errors.Is(err, os.ErrExist) {
		// Up again: keep it only if it is the one this lab made.
		cur, ierr := nsutil.Inode(name)
		if ierr != nil {
			return ierr
		}
		if want := l.st.get().inode(name); cur != want {
			return fmt.Errorf("netns %q exists and is not the lab's: remove it or pick another topology", name)
		}
		return nil
	}
	if err != nil {
		return err
	}
	ino, err := nsutil.Inode(name)
	if err != nil {
		return err
	}
	return l.st.add(func(s *record) { s.setInode(name, ino) })
}

// bridge makes br0 in ns with the topology's spanning-tree timers; a
// priority of 0 keeps the kernel default (32768).
func (l *builder) bridge(ns string, priority int) error {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	br, err := h.LinkByName(BridgeName)
	if err != nil {
		if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName}}); err != nil {
			return fmt.Errorf("add bridge in %s: %w", ns, err)
		}
		if br, err = h.LinkByName(BridgeName); err != nil {
			return fmt.Errorf("bridge in %s: %w", ns, err)
		}
	}
	if err := l.setSTP(ns, br.Attrs().Index, priority); err != nil {
		return err
	}
	if err := h.LinkSetUp(br); err != nil {
		return fmt.Errorf("bridge up in %s: %w", ns, err)
	}
	return nil
}

// Bridge attributes vishvananda/netlink does not expose (linux/if_link.h).
const (
	iflaBrForwardDelay = 1
	iflaBrHelloTime    = 2
	iflaBrMaxAge       = 3
	iflaBrAgeingTime   = 4
	iflaBrStpState     = 5
	iflaBrPriority     = 6
)

// setSTP sets the bridge's spanning-tree timers and priority, then turns
// kernel STP on (the kernel raises timers below the 802.1D minimums:
// forward delay 2 s, hello 1 s, max age 6 s). The address ageing time is
// two forward delays, what the kernel uses during a topology change: it
// switches to it without rescheduling its garbage collection, so entries
// learned on a port that then blocked (a hypervisor's second uplink when
// the first comes back) outlived the change by up to the 300 s default,
// and frames to those addresses were dropped: both SANs unanswered for
// the guests' whole NBD timeout after a NIC cut, in 5 of 7 runs.
func (l *builder) setSTP(ns string, index, priority int) error {
	fd, hello, maxAge := l.stpTimers()
	send := func(attrs func(data *nl.RtAttr)) error {
		return nsutil.Do(ns, func() error {
			req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
			msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
			msg.Index = int32(index)
			req.AddData(msg)
			info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
			info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
			attrs(info.AddRtAttr(nl.IFLA_INFO_DATA, nil))
			req.AddData(info)
			_, err := req.Execute(unix.NETLINK_ROUTE, 0)
			return err
		})
	}
	if err := send(func(d *nl.RtAttr) { d.AddRtAttr(iflaBrStpState, nl.Uint32Attr(0)) }); err != nil {
		return fmt.Errorf("stp off on %s/br0: %w", ns, err)
	}
	if err := send(func(d *nl.RtAttr) {
		d.AddRtAttr(iflaBrForwardDelay, nl.Uint32Attr(clockT(fd)))
		d.AddRtAttr(iflaBrHelloTime, nl.Uint32Attr(clockT(hello)))
		d.AddRtAttr(iflaBrMaxAge, nl.Uint32Attr(clockT(maxAge)))
		d.AddRtAttr(iflaBrAgeingTime, nl.Uint32Attr(clockT(2*fd)))
		if priority > 0 {
			d.AddRtAttr(iflaBrPriority, nl.Uint16Attr(uint16(priority)))
		}
	}); err != nil {
		return fmt.Errorf("stp timers on %s/br0: %w", ns, err)
	}
	if err := send(func(d *nl.RtAttr) { d.AddRtAttr(iflaBrStpState, nl.Uint32Attr(1)) }); err != nil {
		return fmt.Errorf("stp on %s/br0: %w", ns, err)
	}
	return nil
}

// clockT converts to the kernel's clock_t (USER_HZ = 100).
func clockT(d time.Duration) uint32 { return uint32(d / (10 * time.Millisecond)) }

func (l *builder) stpTimers() (fd, hello, maxAge time.Duration) {
	fd, hello, maxAge = time.Second, time.Second, 6*time.Second
	if d, err := time.ParseDuration(l.topo.STP.ForwardDelay); err == nil {
		fd = d
	}
	if d, err := time.ParseDuration(l.topo.STP.HelloTime); err == nil {
		hello = d
	}
	if d, err := time.ParseDuration(l.topo.STP.MaxAge); err == nil {
		maxAge = d
	}
	return fd, hello, maxAge
}

// veth joins nsA/nameA to nsB/nameB; each end joins br0 of its namespace
// when there is one, and comes up.
func (l *builder) veth(nsA, nameA, nsB, nameB string) error {
	ha, err := nsutil.Handle(nsA)
	if err != nil {
		return err
	}
	defer ha.Close()
	hb, err := nsutil.Handle(nsB)
	if err != nil {
		return err
	}
	defer hb.Close()
	if _, err := ha.LinkByName(nameA); err != nil {
		peerNS, err := nsutil.Open(nsB)
		if err != nil {
			return err
		}
		defer peerNS.Close()
		if _, err := hb.LinkByName(nameB); err == nil {
			// A half-made pair: its other end is gone, so drop this one.
			if l, err := hb.LinkByName(nameB); err == nil {
				_ = hb.LinkDel(l)
			}
		}
		v := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: nameA},
			PeerName:      nameB,
			PeerNamespace: netlink.NsFd(int(peerNS)),
		}
		if err := ha.LinkAdd(v); err != nil {
			return fmt.Errorf("veth %s/%s-%s/%s: %w", nsA, nameA, nsB, nameB, err)
		}
	}
	for _, end := range []struct {
		h        *netlink.Handle
		ns, name string
	}{{ha, nsA, nameA}, {hb, nsB, nameB}} {
		link, err := end.h.LinkByName(end.name)
		if err != nil {
			return fmt.Errorf("veth end %s/%s: %w", end.ns, end.name, err)
		}
		if br, err := end.h.LinkByName(BridgeName); err == nil && link.Attrs().MasterIndex != br.Attrs().Index {
			if err := end.h.LinkSetMasterByIndex(link, br.Attrs().Index); err != nil {
				return fmt.Errorf("%s/%s into br0: %w", end.ns, end.name, err)
			}
		}
		if err := end.h.LinkSetUp(link); err != nil {
			return fmt.Errorf("%s/%s up: %w", end.ns, end.name, err)
		}
	}
	return nil
}

// addAddress puts a CIDR address on ns/link unless it is there already.
func addAddress(ns, link, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return err
	}
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", ns, link, err)
	}
	a, err := netlink.ParseAddr(p.String())
	if err != nil {
		return err
	}
	if err := h.AddrAdd(l, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("address %s on %s/%s: %w", cidr, ns, link, err)
	}
	return nil
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

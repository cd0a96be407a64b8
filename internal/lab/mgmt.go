package lab

import (
	"fmt"
	"net/netip"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/vishvananda/netlink"
)

// The management network: a bridge in a namespace of its own (MgmtNetns)
// and a veth from every lab namespace into it, addressed in MgmtSubnet.
// It carries SSH only; no seed fault touches it (the faults cut up1/up2,
// br0 and its ports, and 198.18.10.0/24 traffic), so a host stays
// reachable for its agent while its data links are cut.
const (
	MgmtNetns  = "mgmt"
	MgmtSubnet = "198.19.0.0/24"
	// MgmtLink is the management interface in every node's namespace; the
	// bridge in MgmtNetns has the same name, and each port there is named
	// after its node.
	MgmtLink = "mgmt0"
	// mgmtGateway is the bridge's own address: ssh from MgmtNetns uses it.
	mgmtGateway = "198.19.0.254/24"
)

// MgmtAddress is a lab namespace's management address: 198.19.0.N, N its
// place (from 1) in Namespaces(), so the seed's hv-c is 198.19.0.4.
func (t *Topology) MgmtAddress(ns string) (netip.Addr, bool) {
	for i, n := range t.Namespaces() {
		if n == ns && i < 253 {
			return netip.AddrFrom4([4]byte{198, 19, 0, byte(i + 1)}), true
		}
	}
	return netip.Addr{}, false
}

// buildMgmt makes the management namespace and bridge and joins every lab
// namespace to it. Idempotent.
func (l *builder) buildMgmt() error {
	if len(l.topo.Namespaces()) > 253 {
		return fmt.Errorf("management network: %d namespaces do not fit in %s", len(l.topo.Namespaces()), MgmtSubnet)
	}
	for _, ns := range l.topo.Namespaces() {
		if ns == l.mgmt {
			return fmt.Errorf("a topology namespace is named %q, the lab's management namespace", l.mgmt)
		}
	}
	if err := l.namespace(l.mgmt); err != nil {
		return err
	}
	if err := plainBridge(l.mgmt, MgmtLink); err != nil {
		return err
	}
	if err := addAddress(l.mgmt, MgmtLink, mgmtGateway); err != nil {
		return err
	}
	for _, ns := range l.topo.Namespaces() {
		if err := mgmtVeth(l.mgmt, ns); err != nil {
			return err
		}
		a, _ := l.topo.MgmtAddress(ns)
		if err := addAddress(ns, MgmtLink, netip.PrefixFrom(a, 24).String()); err != nil {
			return err
		}
	}
	return nil
}

// plainBridge makes an up bridge without spanning tree (a star has no
// loop, and a port must forward at once).
func plainBridge(ns, name string) error {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	br, err := h.LinkByName(name)
	if err != nil {
		if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
			return fmt.Errorf("add bridge %s in %s: %w", name, ns, err)
		}
		if br, err = h.LinkByName(name); err != nil {
			return fmt.Errorf("bridge %s in %s: %w", name, ns, err)
		}
	}
	if err := h.LinkSetUp(br); err != nil {
		return fmt.Errorf("bridge %s up in %s: %w", name, ns, err)
	}
	return nil
}

// mgmtVeth joins ns/mgmt0 to the management bridge (port named ns). The
// node end joins no bridge of the node, whatever the node has.
func mgmtVeth(mgmt, ns string) error {
	hn, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer hn.Close()
	hm, err := nsutil.Handle(mgmt)
	if err != nil {
		return err
	}
	defer hm.Close()
	if _, err := hn.LinkByName(MgmtLink); err != nil {
		if stale, err := hm.LinkByName(ns); err == nil {
			_ = hm.LinkDel(stale) // half of a pair whose other end is gone
		}
		peer, err := nsutil.Open(mgmt)
		if err != nil {
			return err
		}
		defer peer.Close()
		v := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: MgmtLink},
			PeerName:      ns,
			PeerNamespace: netlink.NsFd(int(peer)),
		}
		if err := hn.LinkAdd(v); err != nil {
			return fmt.Errorf("veth %s/%s-%s/%s: %w", ns, MgmtLink, mgmt, ns, err)
		}
	}
	br, err := hm.LinkByName(MgmtLink)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", mgmt, MgmtLink, err)
	}
	port, err := hm.LinkByName(ns)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", mgmt, ns, err)
	}
	if port.Attrs().MasterIndex != br.Attrs().Index {
		if err := hm.LinkSetMasterByIndex(port, br.Attrs().Index); err != nil {
			return fmt.Errorf("%s/%s into %s: %w", mgmt, ns, MgmtLink, err)
		}
	}
	if err := hm.LinkSetUp(port); err != nil {
		return fmt.Errorf("%s/%s up: %w", mgmt, ns, err)
	}
	end, err := hn.LinkByName(MgmtLink)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", ns, MgmtLink, err)
	}
	if err := hn.LinkSetUp(end); err != nil {
		return fmt.Errorf("%s/%s up: %w", ns, MgmtLink, err)
	}
	return nil
}

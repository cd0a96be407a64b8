package lab

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/internal/nsutil"
)

// VMBridgeName is the bridge the VMs' taps join on every hypervisor. It
// runs no spanning tree, so a tap that appears (a VM started, remapped or
// live-migrated here) forwards at once instead of sitting out STP's
// listening and learning states (2 x forward delay, 4 s) on br0. One veth
// pair joins it to br0, whose port stays forwarding; a single link cannot
// make a loop.
const VMBridgeName = "vmbr0"

// Names of the veth pair between br0 and vmbr0 in a hypervisor.
const (
	vmTrunkUp   = "vmtrunk0" // in br0
	vmTrunkDown = "vmtrunk1" // in vmbr0
)

// vmBridge makes vmbr0 in a hypervisor's namespace and joins it to br0.
// Idempotent.
func (l *builder) vmBridge(ns string) error {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	vmbr, err := h.LinkByName(VMBridgeName)
	if err != nil {
		if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: VMBridgeName}}); err != nil {
			return fmt.Errorf("add %s in %s: %w", VMBridgeName, ns, err)
		}
		if vmbr, err = h.LinkByName(VMBridgeName); err != nil {
			return fmt.Errorf("%s in %s: %w", VMBridgeName, ns, err)
		}
	}
	br, err := h.LinkByName(BridgeName)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", BridgeName, ns, err)
	}
	if _, err := h.LinkByName(vmTrunkUp); err != nil {
		if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: vmTrunkUp}, PeerName: vmTrunkDown}); err != nil {
			return fmt.Errorf("veth %s-%s in %s: %w", vmTrunkUp, vmTrunkDown, ns, err)
		}
	}
	for _, p := range []struct {
		name   string
		master netlink.Link
	}{{vmTrunkUp, br}, {vmTrunkDown, vmbr}} {
		link, err := h.LinkByName(p.name)
		if err != nil {
			return fmt.Errorf("%s in %s: %w", p.name, ns, err)
		}
		if link.Attrs().MasterIndex != p.master.Attrs().Index {
			if err := h.LinkSetMaster(link, p.master); err != nil {
				return fmt.Errorf("%s/%s into %s: %w", ns, p.name, p.master.Attrs().Name, err)
			}
		}
		if err := h.LinkSetUp(link); err != nil {
			return fmt.Errorf("%s/%s up: %w", ns, p.name, err)
		}
	}
	if err := h.LinkSetUp(vmbr); err != nil {
		return fmt.Errorf("%s up in %s: %w", VMBridgeName, ns, err)
	}
	return nil
}

package lab

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// DefaultGuestDir is where scripts/build-guest-image.sh leaves the newest
// guest image (vmlinuz and initrd.img).
const DefaultGuestDir = "/var/cache/faultline/guest/current"

// NBDPort is where every SAN node serves its disks.
const NBDPort = 10809

// domainXML describes a VM booted straight from the guest image, its
// configuration on the kernel command line, its NIC on the hv's vmbr0 (see VMBridgeName).
func (l *builder) domainXML(vm *VM) (string, error) {
	mem, err := ParseSize(vm.Memory)
	if err != nil {
		return "", err
	}
	kernel, _ := filepath.EvalSymlinks(filepath.Join(l.opts.GuestDir, "vmlinuz"))
	initrd, _ := filepath.EvalSymlinks(filepath.Join(l.opts.GuestDir, "initrd.img"))
	if kernel == "" || initrd == "" {
		return "", fmt.Errorf("guest image missing in %s: run scripts/build-guest-image.sh: %w", l.opts.GuestDir, os.ErrNotExist)
	}
	args := []string{"console=ttyS0", "quiet", "panic=-1", "rootfstype=ramfs",
		"fl.name=" + vm.Name, "fl.ip=" + vm.Address}
	if vm.VRRP != nil {
		args = append(args, "fl.vip="+vm.VRRP.VIP,
			fmt.Sprintf("fl.prio=%d", vm.VRRP.Priority), fmt.Sprintf("fl.vrid=%d", vm.VRRP.RouterID))
	}
	if len(vm.Mirror) == 2 {
		var specs []string
		for _, s := range vm.Mirror {
			a, _ := netip.ParsePrefix(l.topo.node(s).Address)
			specs = append(specs, fmt.Sprintf("%s:%d/%s", a.Addr(), NBDPort, vm.Name))
		}
		args = append(args, "fl.nbd="+strings.Join(specs, ","))
	}
	console := filepath.Join(stateDir, "console", vm.Name+".log")
	dom := &libvirtxml.Domain{
		Type:   "qemu",
		Name:   vm.Name,
		Memory: &libvirtxml.DomainMemory{Value: uint(mem >> 10), Unit: "KiB"},
		VCPU:   &libvirtxml.DomainVCPU{Value: 1},
		OS: &libvirtxml.DomainOS{
			Type:    &libvirtxml.DomainOSType{Type: "hvm", Arch: "x86_64", Machine: "q35"},
			Kernel:  kernel,
			Initrd:  initrd,
			Cmdline: strings.Join(args, " "),
		},
		OnCrash:  "destroy",
		Features: &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}},
		Devices: &libvirtxml.DomainDeviceList{
			Emulator: "/usr/bin/qemu-system-x86_64",
			Interfaces: []libvirtxml.DomainInterface{{
				MAC:    &libvirtxml.DomainInterfaceMAC{Address: macFor(vm.Name)},
				Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
				Source: &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: VMBridgeName}},
			}},
			Serials: []libvirtxml.DomainSerial{{
				Source: &libvirtxml.DomainChardevSource{File: &libvirtxml.DomainChardevSourceFile{Path: console}},
				Target: &libvirtxml.DomainSerialTarget{Type: "isa-serial"},
			}},
			MemBalloon: &libvirtxml.DomainMemBalloon{Model: "none"},
		},
	}
	return dom.Marshal()
}

// macFor gives each VM a stable, locally administered MAC address.
func macFor(name string) string {
	h := sha256.Sum256([]byte(name))
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", h[0], h[1], h[2])
}

// startVM defines the domain on its hypervisor and starts it, unless it
// already runs there.
func (l *builder) startVM(vm *VM) error {
	if err := os.MkdirAll(filepath.Join(stateDir, "console"), 0o755); err != nil {
		return err
	}
	xml, err := l.domainXML(vm)
	if err != nil {
		return err
	}
	c, err := libvirt.NewConnect(URI(vm.Hypervisor))
	if err != nil {
		return fmt.Errorf("connect %s: %w", vm.Hypervisor, err)
	}
	defer c.Close()
	dom, err := c.LookupDomainByName(vm.Name)
	if err == nil {
		defer dom.Free()
		if active, _ := dom.IsActive(); active {
			return nil
		}
		// Defined but stopped (a migration home keeps the UUID the lab's
		// XML does not carry, so a define would clash): start it as it is.
	} else {
		dom, err = c.DomainDefineXML(xml)
		if err != nil {
			return fmt.Errorf("define %s on %s: %w", vm.Name, vm.Hypervisor, err)
		}
		defer dom.Free()
	}
	if err := dom.Create(); err != nil {
		var lerr libvirt.Error
		if errors.As(err, &lerr) && lerr.Code == libvirt.ERR_OPERATION_INVALID {
			return nil // started meanwhile
		}
		return fmt.Errorf("start %s on %s: %w", vm.Name, vm.Hypervisor, err)
	}
	return nil
}

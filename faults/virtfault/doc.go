// Package virtfault holds the libvirt faults (domain power faults, vNIC
// link state, disk throttling, hypervisor and network destruction), the
// runbook actions domain.start and domain.migrate, and the `libvirt` probe.
// Everything goes through libvirt.org/go/libvirt (built with the
// libvirt_dlopen tag, so libvirt.so.0 is loaded only when first used) behind
// the narrow Conn/Domain/Network interfaces, so specs run against the
// test:/// driver and a real libvirtd alike.
package virtfault

// Package lab builds faultline's lab on one Linux machine from a topology:
// a network namespace per switch, node and hypervisor, veth uplinks, Linux
// bridges running spanning tree, one libvirtd per hypervisor in its own
// network and mount namespace, QEMU guests booted from the lab's guest
// image, NBD disks served by the SAN nodes, a BMC per hypervisor (ipmi_sim,
// whose power switch is this package) and a supervisor that restarts a
// dead libvirtd. Up records everything it
// makes in a state file under StateDir so that Down removes it all, also
// after a half-finished Up or a crash.
package lab

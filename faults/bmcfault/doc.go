// Package bmcfault holds the out-of-band power fault bmc.power: a host's
// chassis power cut, cycled or reset through its BMC over IPMI v2.0
// (RMCP+, "lanplus") with github.com/bougou/go-ipmi, never by forking
// ipmitool. The BMC may be reached from inside a named network namespace
// (a management network): the UDP socket is created on a thread that has
// entered it. A password is read from a file or an environment variable
// when needed and never written to an undo record, an error or a log.
package bmcfault

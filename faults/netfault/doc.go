// Package netfault holds the network faults: links, bridges (switches),
// nftables tables and qdiscs, all through netlink handles and nftables
// connections bound to a named network namespace.
package netfault

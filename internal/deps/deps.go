//go:build tools

// Package deps pins the project's chosen dependencies in go.mod before
// every package uses them.
package deps

import (
	_ "github.com/goccy/go-yaml"
	_ "github.com/google/nftables"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "github.com/robfig/cron/v3"
	_ "github.com/urfave/cli/v2"
	_ "github.com/vishvananda/netlink"
	_ "github.com/vishvananda/netns"
	_ "libvirt.org/go/libvirt"
	_ "libvirt.org/go/libvirtxml"
)

//go:build tools

// Package deps pins the project's chosen dependencies in go.mod before
// every package uses them.
package deps

import (
	_ "github.com/bougou/go-ipmi/pkg/client"
	_ "github.com/goccy/go-yaml"
	_ "github.com/google/nftables"
	_ "github.com/kevinburke/ssh_config"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "github.com/pkg/sftp"
	_ "github.com/prometheus/client_golang/api"
	_ "github.com/prometheus/client_golang/api/prometheus/v1"
	_ "github.com/robfig/cron/v3"
	_ "github.com/urfave/cli/v2"
	_ "github.com/vishvananda/netlink"
	_ "github.com/vishvananda/netns"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "libvirt.org/go/libvirt"
	_ "libvirt.org/go/libvirtxml"
)

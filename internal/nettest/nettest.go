// Package nettest builds throwaway topologies for specs: a client and a
// web server in namespaces of their own, joined directly by a veth pair or
// through a switch (a bridge in a third namespace), with a real HTTP
// server on the server. Everything is deleted by DeferCleanup, also when a
// spec fails. Only test code imports it.
package nettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// Topo is client ── [switch br0 ──] server. The client is .1 and the
// server .2 of Subnet (a /24 in 198.18.0.0/15); the server's NIC is eth0
// and its HTTP server listens on ServerAddr:80.
type Topo struct {
	Client, Switch, Server string // Switch is empty for a direct pair
	Subnet                 string // e.g. "198.18.100"
	ServerAddr             string
	srv                    *http.Server
}

// RandSuffix is a short random suffix for namespace names.
func RandSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// New builds the topology; prefix names its namespaces ("fl-e" gives
// fl-ec-XXXX, fl-ew-XXXX, fl-es-XXXX). It skips the spec when not root.
func New(prefix, subnet string, withSwitch bool) *Topo {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	s := RandSuffix()
	t := &Topo{Client: prefix + "c-" + s, Server: prefix + "s-" + s, Subnet: subnet, ServerAddr: subnet + ".2"}
	if withSwitch {
		t.Switch = prefix + "w-" + s
	}
	DeferCleanup(t.destroy)
	for _, ns := range t.Namespaces() {
		Expect(nsutil.Create(ns)).To(Succeed())
		DisableIPv6(ns)
	}
	if withSwitch {
		sw, err := nsutil.Handle(t.Switch)
		Expect(err).NotTo(HaveOccurred())
		defer sw.Close()
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
		Expect(sw.LinkAdd(br)).To(Succeed())
		Expect(sw.LinkSetUp(br)).To(Succeed())
		t.cable(t.Client, t.Switch, "c", br)
		t.cable(t.Server, t.Switch, "s", br)
	} else {
		t.cable(t.Client, t.Server, "eth0", nil)
	}
	t.address(t.Client, subnet+".1/24")
	t.address(t.Server, subnet+".2/24")
	t.serve()
	return t
}

// Namespaces lists the topology's namespaces.
func (t *Topo) Namespaces() []string {
	if t.Switch == "" {
		return []string{t.Client, t.Server}
	}
	return []string{t.Client, t.Switch, t.Server}
}

// cable makes eth0 in node with its peer (named port) in other; a port is
// put into bridge br when br is set.
func (t *Topo) cable(node, other, port string, br *netlink.Bridge) {
	h, err := nsutil.Handle(node)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	o, err := nsutil.Handle(other)
	Expect(err).NotTo(HaveOccurred())
	defer o.Close()
	otherNs, err := nsutil.Open(other)
	Expect(err).NotTo(HaveOccurred())
	defer otherNs.Close()
	tmp := "p" + RandSuffix()
	Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: tmp})).To(Succeed())
	p, err := h.LinkByName(tmp)
	Expect(err).NotTo(HaveOccurred())
	Expect(h.LinkSetNsFd(p, int(otherNs))).To(Succeed())
	p, err = o.LinkByName(tmp)
	Expect(err).NotTo(HaveOccurred())
	Expect(o.LinkSetName(p, port)).To(Succeed())
	if br != nil {
		Expect(o.LinkSetMaster(p, br)).To(Succeed())
		Expect(o.LinkSetUp(p)).To(Succeed())
	}
}

func (t *Topo) address(ns, cidr string) {
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName("eth0")
	Expect(err).NotTo(HaveOccurred())
	a, _ := netlink.ParseAddr(cidr)
	Expect(h.AddrAdd(l, a)).To(Succeed())
	Expect(h.LinkSetUp(l)).To(Succeed())
}

func (t *Topo) serve() {
	var ln net.Listener
	Expect(nsutil.Do(t.Server, func() error {
		var err error
		ln, err = net.Listen("tcp", t.ServerAddr+":80")
		return err
	})).To(Succeed())
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = t.srv.Serve(ln) }()
	Eventually(func() error {
		return nsutil.Do(t.Client, func() error {
			c, err := net.Dial("tcp", t.ServerAddr+":80")
			if err == nil {
				c.Close()
			}
			return err
		})
	}, "5s", "20ms").Should(Succeed())
}

func (t *Topo) destroy() {
	if t.srv != nil {
		_ = t.srv.Close()
	}
	for _, ns := range t.Namespaces() {
		_ = nsutil.Delete(ns)
	}
}

// Snapshot records links, addresses, routes and bridge ports of every namespace.
func (t *Topo) Snapshot() map[string]netfault.NetnsSnapshot {
	out := map[string]netfault.NetnsSnapshot{}
	for _, ns := range t.Namespaces() {
		s, err := netfault.SnapshotNetns(context.Background(), ns)
		Expect(err).NotTo(HaveOccurred())
		out[ns] = s
	}
	return out
}

// ExpectSameSnapshots fails the spec when any namespace changed.
func ExpectSameSnapshots(before, after map[string]netfault.NetnsSnapshot) {
	GinkgoHelper()
	for ns, b := range before {
		Expect(after[ns].Diff(b)).To(BeEmpty(), "netns %s changed", ns)
	}
}

// DisableIPv6 keeps a namespace IPv4-only: IPv6 link-local addresses appear
// asynchronously and would make before/after snapshots differ for no fault
// of a run.
func DisableIPv6(ns string) {
	GinkgoHelper()
	Expect(nsutil.Do(ns, func() error {
		for _, k := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})).To(Succeed())
}

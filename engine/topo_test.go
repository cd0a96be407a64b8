package engine_test

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
	"github.com/faultline/faultline/nsutil"
)

// miniTopo is client ── switch (bridge br0) ── server, each a throwaway
// namespace, with a real HTTP server on the server at 198.18.100.2:80.
type miniTopo struct {
	Client, Switch, Server string
	srv                    *http.Server
}

func randSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newMiniTopo() *miniTopo {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	s := randSuffix()
	t := &miniTopo{Client: "fl-c-" + s, Switch: "fl-w-" + s, Server: "fl-s-" + s}
	DeferCleanup(t.destroy)
	for _, ns := range []string{t.Client, t.Switch, t.Server} {
		Expect(nsutil.Create(ns)).To(Succeed())
		// IPv4 only: IPv6 link-local addresses appear asynchronously and
		// would make before/after snapshots differ for no fault of a run.
		Expect(nsutil.Do(ns, func() error {
			for _, k := range []string{"all", "default"} {
				if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0o644); err != nil {
					return err
				}
			}
			return nil
		})).To(Succeed())
	}
	sw, err := nsutil.Handle(t.Switch)
	Expect(err).NotTo(HaveOccurred())
	defer sw.Close()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	Expect(sw.LinkAdd(br)).To(Succeed())
	Expect(sw.LinkSetUp(br)).To(Succeed())
	plug := func(ns, port, addr string) {
		swNs, err := nsutil.Open(t.Switch)
		Expect(err).NotTo(HaveOccurred())
		defer swNs.Close()
		h, err := nsutil.Handle(ns)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		// Create the pair inside the node, then move the port end to the switch.
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: port}
		Expect(h.LinkAdd(veth)).To(Succeed())
		p, err := h.LinkByName(port)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetNsFd(p, int(swNs))).To(Succeed())
		sp, err := sw.LinkByName(port)
		Expect(err).NotTo(HaveOccurred())
		Expect(sw.LinkSetMaster(sp, br)).To(Succeed())
		Expect(sw.LinkSetUp(sp)).To(Succeed())
		e, err := h.LinkByName("eth0")
		Expect(err).NotTo(HaveOccurred())
		a, _ := netlink.ParseAddr(addr)
		Expect(h.AddrAdd(e, a)).To(Succeed())
		Expect(h.LinkSetUp(e)).To(Succeed())
	}
	plug(t.Client, "c", "198.18.100.1/24")
	plug(t.Server, "s", "198.18.100.2/24")
	var ln net.Listener
	Expect(nsutil.Do(t.Server, func() error {
		var err error
		ln, err = net.Listen("tcp", "198.18.100.2:80")
		return err
	})).To(Succeed())
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = t.srv.Serve(ln) }()
	// Wait until the server answers from the client.
	Eventually(func() error {
		return nsutil.Do(t.Client, func() error {
			c, err := net.Dial("tcp", "198.18.100.2:80")
			if err == nil {
				c.Close()
			}
			return err
		})
	}, "5s", "50ms").Should(Succeed())
	return t
}

func (t *miniTopo) destroy() {
	if t.srv != nil {
		_ = t.srv.Close()
	}
	for _, ns := range []string{t.Client, t.Switch, t.Server} {
		_ = nsutil.Delete(ns)
	}
}

// snapshot records links, addresses, routes and bridge ports of every namespace.
func (t *miniTopo) snapshot() map[string]netfault.NetnsSnapshot {
	out := map[string]netfault.NetnsSnapshot{}
	for _, ns := range []string{t.Client, t.Switch, t.Server} {
		s, err := netfault.SnapshotNetns(context.Background(), ns)
		Expect(err).NotTo(HaveOccurred())
		out[ns] = s
	}
	return out
}

func expectSameSnapshots(before, after map[string]netfault.NetnsSnapshot) {
	for ns, b := range before {
		Expect(after[ns].Diff(b)).To(BeEmpty(), "netns %s changed", ns)
	}
}

package gameday_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/nsutil"
)

// pair is two throwaway namespaces joined by a veth pair, with a real
// HTTP server on the server end at 198.18.200.2:80.
type pair struct {
	Client, Server string
	srv            *http.Server
}

func randSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newPair() *pair {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	s := randSuffix()
	p := &pair{Client: "fl-gc-" + s, Server: "fl-gs-" + s}
	DeferCleanup(p.destroy)
	for _, ns := range []string{p.Client, p.Server} {
		Expect(nsutil.Create(ns)).To(Succeed())
		// IPv4 only: IPv6 addresses appear asynchronously and would make
		// before/after snapshots differ for no fault of a run.
		Expect(nsutil.Do(ns, func() error {
			for _, k := range []string{"all", "default"} {
				if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0o644); err != nil {
					return err
				}
			}
			return nil
		})).To(Succeed())
	}
	c, err := nsutil.Handle(p.Client)
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	sv, err := nsutil.Handle(p.Server)
	Expect(err).NotTo(HaveOccurred())
	defer sv.Close()
	srvNs, err := nsutil.Open(p.Server)
	Expect(err).NotTo(HaveOccurred())
	defer srvNs.Close()
	Expect(c.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "peer"})).To(Succeed())
	peer, err := c.LinkByName("peer")
	Expect(err).NotTo(HaveOccurred())
	Expect(c.LinkSetNsFd(peer, int(srvNs))).To(Succeed())
	peer, err = sv.LinkByName("peer")
	Expect(err).NotTo(HaveOccurred())
	Expect(sv.LinkSetName(peer, "eth0")).To(Succeed())
	for _, x := range []struct {
		h    *netlink.Handle
		addr string
	}{{c, "198.18.200.1/24"}, {sv, "198.18.200.2/24"}} {
		l, err := x.h.LinkByName("eth0")
		Expect(err).NotTo(HaveOccurred())
		a, _ := netlink.ParseAddr(x.addr)
		Expect(x.h.AddrAdd(l, a)).To(Succeed())
		Expect(x.h.LinkSetUp(l)).To(Succeed())
	}
	var ln net.Listener
	Expect(nsutil.Do(p.Server, func() error {
		var err error
		ln, err = net.Listen("tcp", "198.18.200.2:80")
		return err
	})).To(Succeed())
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = p.srv.Serve(ln) }()
	Eventually(func() error {
		return nsutil.Do(p.Client, func() error {
			conn, err := net.Dial("tcp", "198.18.200.2:80")
			if err == nil {
				conn.Close()
			}
			return err
		})
	}, "5s", "20ms").Should(Succeed())
	return p
}

func (p *pair) destroy() {
	if p.srv != nil {
		_ = p.srv.Close()
	}
	for _, ns := range []string{p.Client, p.Server} {
		_ = nsutil.Delete(ns)
	}
}

func (p *pair) snapshot() map[string]netfault.NetnsSnapshot {
	out := map[string]netfault.NetnsSnapshot{}
	for _, ns := range []string{p.Client, p.Server} {
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

// serverLinkDown reports whether the server's eth0 is administratively down (a fault is in).
func (p *pair) serverLinkDown() bool {
	h, err := nsutil.Handle(p.Server)
	if err != nil {
		return false
	}
	defer h.Close()
	l, err := h.LinkByName("eth0")
	return err == nil && l.Attrs().Flags&net.FlagUp == 0
}

// expYAML is a short experiment: the server's NIC cut for cut, the client
// probing every 10 ms. maxOutage is the bound; extra is appended verbatim.
func (p *pair) expYAML(name, cut, maxOutage, extra string) string {
	return fmt.Sprintf(`version: 1
name: %s
probes:
  web:
    http: {url: "http://198.18.200.2/", status: 200, timeout: 20ms}
    every: 10ms
    netns: %s
steadyState:
  - {probe: web, for: 200ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %s, link: eth0}
    at: 100ms
    duration: %s
observe: 200ms
verify:
  - {probe: web, maxOutage: %s}
  - {probe: web, reaches: ok, within: 500ms, after: cut.end}
%s`, name, p.Client, p.Server, cut, maxOutage, extra)
}

// writeFiles writes name → content into dir and returns dir.
func writeFiles(dir string, files map[string]string) string {
	for name, content := range files {
		Expect(os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)).To(Succeed())
	}
	return dir
}

func replaceOnce(s, old, new string) string {
	i := strings.Index(s, old)
	Expect(i).To(BeNumerically(">=", 0), "%q not in the text", old)
	return s[:i] + new + s[i+len(old):]
}

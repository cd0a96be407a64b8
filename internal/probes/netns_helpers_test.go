package probes_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// newNetns creates a throwaway namespace, deleted when the spec ends.
func newNetns() string {
	name := fmt.Sprintf("fl-%06x", rand.Uint32()&0xffffff)
	Expect(nsutil.Create(name)).To(Succeed())
	DeferCleanup(func() { Expect(nsutil.Delete(name)).To(Succeed()) })
	return name
}

// joinNetns links two namespaces with a veth pair: aName/aAddr in a,
// bName/bAddr in b (addresses as CIDR, e.g. 198.18.0.1/30).
func joinNetns(a, aName, aAddr, b, bName, bAddr string) {
	nsB, err := nsutil.Open(b)
	Expect(err).NotTo(HaveOccurred())
	defer nsB.Close()
	ha, err := nsutil.Handle(a)
	Expect(err).NotTo(HaveOccurred())
	defer ha.Close()
	hb, err := nsutil.Handle(b)
	Expect(err).NotTo(HaveOccurred())
	defer hb.Close()

	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: aName},
		PeerName:      bName,
		PeerNamespace: netlink.NsFd(int(nsB)),
	}
	Expect(ha.LinkAdd(veth)).To(Succeed())
	for _, side := range []struct {
		h          *netlink.Handle
		name, addr string
	}{{ha, aName, aAddr}, {hb, bName, bAddr}} {
		l, err := side.h.LinkByName(side.name)
		Expect(err).NotTo(HaveOccurred())
		addr, err := netlink.ParseAddr(side.addr)
		Expect(err).NotTo(HaveOccurred())
		Expect(side.h.AddrAdd(l, addr)).To(Succeed())
		Expect(side.h.LinkSetUp(l)).To(Succeed())
	}
	// Until the carrier is on, the noop qdisc drops every packet.
	waitOperUp(ha, aName)
	waitOperUp(hb, bName)
}

func waitOperUp(h *netlink.Handle, name string) {
	Eventually(func() netlink.LinkOperState {
		l, err := h.LinkByName(name)
		if err != nil {
			return netlink.LinkOperState(netlink.OperUnknown)
		}
		return l.Attrs().OperState
	}).WithTimeout(5 * time.Second).WithPolling(time.Millisecond).Should(Equal(netlink.LinkOperState(netlink.OperUp)))
}

// listenIn opens a TCP listener inside a namespace, closed when the spec ends.
func listenIn(ns, addr string) net.Listener {
	var l net.Listener
	Expect(nsutil.Do(ns, func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	})).To(Succeed())
	DeferCleanup(func() { _ = l.Close() })
	return l
}

// serveHTTP serves h on l until the spec ends.
func serveHTTP(l net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	DeferCleanup(func() { _ = srv.Close() })
	return srv
}

// reservePort binds 127.0.0.1:0 in this namespace without listening: the
// port is taken, and connecting to it is refused.
func reservePort() int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = unix.Close(fd) })
	Expect(unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})).To(Succeed())
	sa, err := unix.Getsockname(fd)
	Expect(err).NotTo(HaveOccurred())
	in4, ok := sa.(*unix.SockaddrInet4)
	Expect(ok).To(BeTrue())
	return in4.Port
}

func newProber(p probes.Def) probes.Prober {
	pr, err := probes.New(p)
	Expect(err).NotTo(HaveOccurred())
	return pr
}

func ms(n int) probes.Duration { return probes.Duration(time.Duration(n) * time.Millisecond) }

// def is a probe definition of kind with params, as an experiment's loader makes it.
func def(kind string, params any, every time.Duration, netns string) probes.Def {
	b, err := json.Marshal(params)
	if err != nil {
		panic(err)
	}
	return probes.Def{Name: "t", Kind: kind, Params: b, Every: every, Netns: netns}
}

func named(d probes.Def, name string) probes.Def {
	d.Name = name
	return d
}

// downLink sets a link down inside a namespace.
func downLink(ns, name string) {
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName(name)
	Expect(err).NotTo(HaveOccurred())
	Expect(h.LinkSetDown(l)).To(Succeed())
}

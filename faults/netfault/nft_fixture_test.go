package netfault_test

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nsutil"
)

// tfTestRuleset is `nft -j list ruleset` inside a namespace.
func tfTestRuleset(ns string) string {
	GinkgoHelper()
	return testRun("ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset")
}

// tfTestNftText is `nft list ruleset` inside a namespace, for reading rules.
func tfTestNftText(ns string) string {
	GinkgoHelper()
	return testRun("ip", "netns", "exec", ns, "nft", "list", "ruleset")
}

// tfTestForeignTable installs a table like the ones libvirt keeps, with
// rules and a set, that faultline must never touch.
func tfTestForeignTable(ns string) {
	GinkgoHelper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table inet libvirt_network {
	set guests { type ipv4_addr; flags interval; elements = { 198.18.200.0/24 } }
	chain guest_output { type filter hook forward priority 0; policy accept;
		ip daddr @guests ct state established,related accept
		ip saddr 203.0.113.0/24 drop
	}
	chain guest_input { type filter hook input priority 0; policy accept;
		tcp dport 16509 accept
	}
}
`)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "nft -f: %s", out)
}

// tfTestUDP sends n datagrams from a socket in fromNS to addr (host:port)
// served in toNS, and returns how many arrived.
func tfTestUDP(fromNS, toNS, addr string, n int) int {
	GinkgoHelper()
	var srv *net.UDPConn
	Expect(nsutil.Do(toNS, func() error {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return err
		}
		srv, err = net.ListenUDP("udp", ua)
		return err
	})).To(Succeed())
	defer srv.Close()
	Expect(srv.SetReadBuffer(4 << 20)).To(Succeed())
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			_ = srv.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			if _, _, err := srv.ReadFromUDP(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	var cli net.Conn
	Expect(nsutil.Do(fromNS, func() error {
		var err error
		cli, err = net.Dial("udp", addr)
		return err
	})).To(Succeed())
	defer cli.Close()
	for i := 0; i < n; i++ {
		// A refused or unreachable send is a lost datagram, not a test error.
		_, _ = cli.Write([]byte(fmt.Sprintf("faultline %d", i)))
		if i%50 == 49 {
			time.Sleep(time.Millisecond)
		}
	}
	<-done
	return int(got.Load())
}

// tfTestTCPReachable reports whether a TCP connection from fromNS to addr
// (served in toNS) completes within a short timeout.
func tfTestTCPReachable(fromNS, toNS, addr string) bool {
	GinkgoHelper()
	ln := testListen(toNS, "tcp", addr)
	defer ln.Close()
	testAcceptAndClose(ln)
	ok := false
	Expect(nsutil.Do(fromNS, func() error {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err == nil {
			ok = true
			c.Close()
		}
		return nil
	})).To(Succeed())
	return ok
}

// tfTestThroughput sends TCP from fromNS to addr served in toNS and
// returns the receiver's goodput in bits per second over d, measured after
// a warm-up second so that the initial bucket and slow start do not count.
// mark, if set, runs right where each end of the interval is taken.
func tfTestThroughput(fromNS, toNS, addr string, d time.Duration, mark func()) float64 {
	GinkgoHelper()
	ln := testListen(toNS, "tcp", addr)
	defer ln.Close()
	var received atomic.Int64
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(tfCountWriter{&received}, c)
	}()
	var cli net.Conn
	Expect(nsutil.Do(fromNS, func() error {
		var err error
		cli, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})).To(Succeed())
	go func() {
		chunk := make([]byte, 16<<10)
		for {
			if _, err := cli.Write(chunk); err != nil {
				return
			}
		}
	}()
	time.Sleep(time.Second)
	if mark == nil {
		mark = func() {}
	}
	mark()
	t0, b0 := time.Now(), received.Load()
	time.Sleep(d)
	mark()
	t1, b1 := time.Now(), received.Load()
	_ = cli.Close()
	return float64(b1-b0) * 8 / t1.Sub(t0).Seconds()
}

type tfCountWriter struct{ n *atomic.Int64 }

func (w tfCountWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

package netfault_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// The set-up every netfault spec shares: throwaway namespaces, veths,
// listeners, and faults built through the registry.

// testName is a unique "fl-" name short enough for a link or a netns.
func testName(tag string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "fl-" + tag + hex.EncodeToString(b)
}

// testNetns creates a namespace that is deleted when the spec ends,
// whether it passed or failed (its links and tables go with it).
func testNetns(tag string) string {
	GinkgoHelper()
	name := testName(tag)
	Expect(nsutil.Create(name)).To(Succeed())
	DeferCleanup(func() { Expect(nsutil.Delete(name)).To(Succeed()) })
	return name
}

// testRun forks a CLI to build or inspect a topology (tests may).
func testRun(name string, args ...string) string {
	GinkgoHelper()
	out, err := exec.Command(name, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

// testVeth joins two namespaces with a veth pair, addresses both ends
// (CIDRs, may be "") and brings them up.
func testVeth(nsA, a, addrA, nsB, b, addrB string) {
	GinkgoHelper()
	testRun("ip", "-n", nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB)
	for _, e := range []struct{ ns, dev, addr string }{{nsA, a, addrA}, {nsB, b, addrB}} {
		if e.addr != "" {
			testRun("ip", "-n", e.ns, "addr", "add", e.addr, "dev", e.dev)
		}
		testRun("ip", "-n", e.ns, "link", "set", e.dev, "up")
	}
}

// testListen listens inside a namespace; the socket stays in the namespace
// it was made in.
func testListen(netns, network, addr string) net.Listener {
	GinkgoHelper()
	var ln net.Listener
	Expect(nsutil.Do(netns, func() error {
		var err error
		ln, err = net.Listen(network, addr)
		return err
	})).To(Succeed())
	return ln
}

// testAcceptAndClose serves ln until it is closed: accept and close.
func testAcceptAndClose(ln net.Listener) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// testFault builds a fault through the registry, as the engine does.
func testFault(kind string, params any) faults.Fault {
	GinkgoHelper()
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), "kind %s registered", kind)
	raw, err := json.Marshal(params)
	Expect(err).NotTo(HaveOccurred())
	f, err := k.NewFault(raw)
	Expect(err).NotTo(HaveOccurred())
	return f
}

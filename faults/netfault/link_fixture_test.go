package netfault_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/nsutil"
)

// linkTestName is a unique "fl-" name short enough for a link or netns.
func linkTestName(tag string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "fl-" + tag + hex.EncodeToString(b)
}

// linkTestNetns creates a namespace deleted when the spec ends, pass or fail.
func linkTestNetns(tag string) string {
	GinkgoHelper()
	name := linkTestName(tag)
	Expect(nsutil.Create(name)).To(Succeed())
	DeferCleanup(func() { Expect(nsutil.Delete(name)).To(Succeed()) })
	return name
}

// linkTestIP runs `ip` to build or inspect a topology (tests may fork it).
func linkTestIP(args ...string) string {
	GinkgoHelper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "ip %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// linkTestVeth makes a veth pair with one end in each namespace, both up.
func linkTestVeth(nsA, a, nsB, b string) {
	GinkgoHelper()
	linkTestIP("-n", nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB)
	linkTestIP("-n", nsA, "link", "set", a, "up")
	linkTestIP("-n", nsB, "link", "set", b, "up")
}

// linkTestListen serves TCP in a namespace: accept and close. The socket
// stays in the namespace it was made in.
func linkTestListen(netns, addr string) {
	GinkgoHelper()
	var ln net.Listener
	Expect(nsutil.Do(netns, func() error {
		var err error
		ln, err = net.Listen("tcp4", addr)
		return err
	})).To(Succeed())
	DeferCleanup(ln.Close)
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

// linkTestDial connects from inside a namespace.
func linkTestDial(netns, addr string, timeout time.Duration) error {
	return nsutil.Do(netns, func() error {
		c, err := net.DialTimeout("tcp4", addr, timeout)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

func linkTestSnapshot(netns string) netfault.NetnsSnapshot {
	GinkgoHelper()
	s, err := netfault.SnapshotNetns(context.Background(), netns)
	Expect(err).NotTo(HaveOccurred())
	return s
}

// linkTestFault builds a registered fault kind from params.
func linkTestFault(kind string, params any) faults.Fault {
	GinkgoHelper()
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), "kind %s registered", kind)
	raw, err := json.Marshal(params)
	Expect(err).NotTo(HaveOccurred())
	f, err := k.NewFault(raw)
	Expect(err).NotTo(HaveOccurred())
	return f
}

// linkTestJournal sends an undo record through JSON, as the journal does.
func linkTestJournal(u faults.Undo) faults.Undo {
	GinkgoHelper()
	b, err := json.Marshal(u)
	Expect(err).NotTo(HaveOccurred())
	var back faults.Undo
	Expect(json.Unmarshal(b, &back)).To(Succeed())
	return back
}

// linkTestRevertOnCleanup reverts the fault when the spec ends, so a
// failing spec does not leave a NIC down for the next one.
func linkTestRevertOnCleanup(f faults.Fault) {
	DeferCleanup(func() {
		err := f.Revert(context.Background())
		if err != nil && !errors.Is(err, faults.ErrNotFound) {
			Fail("cleanup revert: " + err.Error())
		}
	})
}

func linkTestLinkUp(netns, link string) bool {
	GinkgoHelper()
	for _, l := range linkTestSnapshot(netns).Links {
		if l.Name == link {
			return l.Up
		}
	}
	Fail("no link " + link + " in " + netns)
	return false
}

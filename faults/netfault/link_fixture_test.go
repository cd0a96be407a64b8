package netfault_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// linkTestListen serves TCP in a namespace until the spec ends: accept
// and close.
func linkTestListen(netns, addr string) {
	GinkgoHelper()
	ln := testListen(netns, "tcp4", addr)
	DeferCleanup(ln.Close)
	testAcceptAndClose(ln)
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

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
	"github.com/faultline/faultline/internal/nsutil"
)

// tfTestConnectTime is how long a TCP handshake from fromNS to addr
// (served in toNS) takes: one round trip.
func tfTestConnectTime(fromNS, toNS, addr string) time.Duration {
	GinkgoHelper()
	ln := testListen(toNS, "tcp", addr)
	defer ln.Close()
	var took time.Duration
	Expect(nsutil.Do(fromNS, func() error {
		start := time.Now()
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		took = time.Since(start)
		if err == nil {
			c.Close()
		}
		return err
	})).To(Succeed())
	return took
}

var _ = Describe("net.delay", Label("traffic"), func() {
	ctx := context.Background()

	It("delays traffic where the kernel has netem, and otherwise fails preflight naming sch_netem before injecting anything", func() {
		a, b := tfTestPair()
		before := tfTestQdiscs(a, "eth0")

		f := testFault("net.delay", map[string]any{"netns": a, "link": "eth0", "delay": "100ms", "jitter": "5ms"})
		Expect(f.Targets()).To(ConsistOf(faults.Target{Kind: "qdisc", ID: "netns:" + a + "/eth0 root"}))
		perr := f.(faults.Preflighter).Preflight(ctx)
		if errors.Is(perr, faults.ErrNotSupported) {
			Expect(perr).To(MatchError(ContainSubstring("kernel lacks sch_netem")))
			Expect(tfTestQdiscs(a, "eth0")).To(Equal(before), "preflight injected nothing")
			// Were the engine to go on anyway, inject fails the same way and changes nothing.
			_, err := f.Prepare(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(f.Inject(ctx)).To(MatchError(faults.ErrNotSupported))
			Expect(f.Revert(ctx)).To(Succeed())
			Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
			Skip("kernel lacks sch_netem: " + perr.Error())
		}
		Expect(perr).NotTo(HaveOccurred())
		base := tfTestConnectTime(a, b, "198.18.1.2:7401")
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		delayed := tfTestConnectTime(a, b, "198.18.1.2:7402")
		Expect(delayed - base).To(BeNumerically(">=", 90*time.Millisecond))
		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
		Expect(tfTestConnectTime(a, b, "198.18.1.2:7403")).To(BeNumerically("<", 50*time.Millisecond))
	})

	DescribeTable("rejects bad parameters",
		func(params string, msg string) {
			k, _ := faults.Lookup("net.delay")
			_, err := k.NewFault(json.RawMessage(params))
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("no delay", `{"link":"eth0"}`, "delay"),
		Entry("bad delay", `{"link":"eth0","delay":"100"}`, "delay"),
		Entry("bad jitter", `{"link":"eth0","delay":"100ms","jitter":"x"}`, "jitter"),
		Entry("no link", `{"delay":"100ms"}`, "link is required"),
	)
})

package agent_test

import (
	"context"
	"io"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/agent"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/remote"
)

// agentAt serves an agent in this process with the given state directory
// (the host's), for the run named run.
func agentAt(state, run string) *remote.Client {
	ar, cw, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	cr, aw, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer aw.Close()
		defer ar.Close()
		agent.Serve(context.Background(), ar, aw, agent.Options{StateDir: state, Version: "v-spec", Log: GinkgoWriter})
	}()
	c, err := remote.Dial(context.Background(), rwc{cr, cw, []io.Closer{cw}},
		remote.Config{Host: "hv-t", Run: run, Experiment: "spec", GuardTTL: 2 * time.Second, Version: "v-spec"})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		_ = c.Close(context.Background())
		cw.Close()
		cr.Close()
		<-done
	})
	return c
}

var _ = Describe("target locks on a host", Serial, func() {
	It("refuses a second run's step on a target another run holds there, until the first reverts", func() {
		t := nettest.New("fl-al", "198.18.164", false)
		state := GinkgoT().TempDir()
		first, second := agentAt(state, "r-first"), agentAt(state, "r-second")

		f1, err := first.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		Expect(f1.Preflight(context.Background())).To(Succeed())
		_, err = f1.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f1.Inject(context.Background())).To(Succeed())

		f2, err := second.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		err = f2.Preflight(context.Background())
		Expect(err).To(MatchError(ContainSubstring("held by run r-first")))
		_, err = f2.Prepare(context.Background())
		Expect(err).To(MatchError(ContainSubstring("held by run r-first")))

		Expect(f1.Revert(context.Background())).To(Succeed())
		Expect(f2.Preflight(context.Background())).To(Succeed())
	})

	It("takes the same locks as a local run on the host", func() {
		t := nettest.New("fl-am", "198.18.165", false)
		state := GinkgoT().TempDir()
		k, ok := faults.Lookup("link.down")
		Expect(ok).To(BeTrue())
		local, err := k.NewFault(cutParams(t.Client))
		Expect(err).NotTo(HaveOccurred())
		l, err := engine.LockTargets(state, "r-local", local.Targets())
		Expect(err).NotTo(HaveOccurred())

		c := agentAt(state, "r-remote")
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Preflight(context.Background())).To(MatchError(ContainSubstring("held by run r-local")))
		Expect(linkUp(t.Client)).To(BeTrue())

		l.Remove()
		Expect(f.Preflight(context.Background())).To(Succeed())
	})
})

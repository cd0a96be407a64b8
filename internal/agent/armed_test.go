package agent_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nettest"
)

var _ = Describe("an inject armed ahead of its moment", Serial, func() {
	It("lands at the moment on the agent's clock, not on receipt", func() {
		t := nettest.New("fl-aa", "198.18.166", false)
		s := serve("v-spec")
		c := s.client(2 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())

		base := time.Now()
		at := base.Add(400 * time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- f.InjectAt(context.Background(), at) }()
		Consistently(func() bool { return linkUp(t.Client) }, 300*time.Millisecond, 10*time.Millisecond).Should(BeTrue(), "sent, not yet due")
		Eventually(done, 2*time.Second).Should(Receive(BeNil()))
		Expect(linkUp(t.Client)).To(BeFalse())
		start, _ := f.InjectedAt(base)
		GinkgoWriter.Printf("armed for %s after base, injected at %s\n", at.Sub(base), start)
		Expect(start).To(BeNumerically("~", 400*time.Millisecond, 30*time.Millisecond))
		Expect(f.Revert(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeTrue())
	})

	It("is cancelled by a revert that comes first (the run aborted before the moment)", func() {
		t := nettest.New("fl-ab", "198.18.167", false)
		s := serve("v-spec")
		c := s.client(2 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		done := make(chan error, 1)
		go func() { done <- f.InjectAt(context.Background(), time.Now().Add(500*time.Millisecond)) }()
		time.Sleep(100 * time.Millisecond)
		Expect(f.Revert(context.Background())).To(Succeed())
		var err2 error
		Eventually(done, 2*time.Second).Should(Receive(&err2))
		Expect(err2).To(MatchError(ContainSubstring("already reverted")))
		Consistently(func() bool { return linkUp(t.Client) }, 700*time.Millisecond, 20*time.Millisecond).Should(BeTrue(), "never injected")
	})
})

package netfault_test

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// flapWatch counts a link's admin up→down transitions from netlink events.
type flapWatch struct {
	mu    sync.Mutex
	downs int
	ups   int
}

func (w *flapWatch) counts() (downs, ups int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.downs, w.ups
}

func watchFlaps(netns, link string) *flapWatch {
	GinkgoHelper()
	ns, err := nsutil.Open(netns)
	Expect(err).NotTo(HaveOccurred())
	defer ns.Close()
	ch := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	Expect(netlink.LinkSubscribeAt(ns, ch, done)).To(Succeed())
	DeferCleanup(func() { close(done) })
	w := &flapWatch{}
	up := true
	go func() {
		for u := range ch {
			if u.Attrs().Name != link {
				continue
			}
			now := u.Attrs().Flags&net.FlagUp != 0
			w.mu.Lock()
			switch {
			case up && !now:
				w.downs++
			case !up && now:
				w.ups++
			}
			w.mu.Unlock()
			up = now
		}
	}()
	return w
}

var _ = Describe("link.flap", func() {
	ctx := context.Background()

	It("takes the link down and up count times, restoring routes after each up", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)
		w := watchFlaps(lab.a, "a0")
		f := testFault(netfault.KindLinkFlap, map[string]any{
			"netns": lab.a, "link": "a0", "period": "80ms", "count": 3,
		})
		linkTestRevertOnCleanup(f)
		Expect(f.Describe()).To(ContainSubstring("every 80ms, 3 times"))
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())

		start := time.Now()
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(linkTestLinkUp(lab.a, "a0")).To(BeFalse(), "the first down happens in Inject")
		Eventually(func() []int { d, u := w.counts(); return []int{d, u} }).
			WithTimeout(2 * time.Second).WithPolling(5 * time.Millisecond).Should(Equal([]int{3, 3}))
		Expect(time.Since(start)).To(BeNumerically(">=", 200*time.Millisecond), "cycles follow the period")
		Consistently(func() int { d, _ := w.counts(); return d }).
			WithTimeout(250 * time.Millisecond).Should(Equal(3))
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty(), "the last up restored routes")
		lab.expectReachable()

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
	})

	It("stops flapping on Revert and restores the link", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)
		w := watchFlaps(lab.a, "a0")
		f := testFault(netfault.KindLinkFlap, map[string]any{
			"netns": lab.a, "link": "a0", "period": "20ms", "count": 1000,
		})
		linkTestRevertOnCleanup(f)
		Expect(f.Inject(ctx)).To(Succeed())
		Eventually(func() int { d, _ := w.counts(); return d }).
			WithTimeout(2 * time.Second).Should(BeNumerically(">=", 3))

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
		// Let the last events arrive, then no more flapping.
		time.Sleep(50 * time.Millisecond)
		downs, _ := w.counts()
		Expect(downs).To(BeNumerically("<", 100))
		Consistently(func() int { d, _ := w.counts(); return d }).
			WithTimeout(200 * time.Millisecond).Should(Equal(downs))
		Expect(linkTestLinkUp(lab.a, "a0")).To(BeTrue())
	})
})

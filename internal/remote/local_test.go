package remote_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/remote"

	_ "github.com/faultline/faultline/faults/actions"
	_ "github.com/faultline/faultline/faults/netfault"
)

var _ = Describe("the local executor", Serial, func() {
	It("builds faults and samples probes on this machine through the same interface", func() {
		t := nettest.New("fl-rl", "198.18.175", false)
		var ex remote.Executor = remote.Local{}
		params, _ := json.Marshal(map[string]string{"netns": t.Client, "link": "eth0"})
		f, err := ex.NewFault(context.Background(), remote.StepSpec{Name: "cut", Kind: "link.down", Params: params})
		Expect(err).NotTo(HaveOccurred())
		_, err = ex.NewFault(context.Background(), remote.StepSpec{Name: "w", Kind: "wait"})
		Expect(err).To(MatchError(ContainSubstring("is an action")))
		var ok, failed atomic.Int32
		def := &experiments.Probe{Inline: experiments.Inline{Kind: "tcp", With: map[string]any{"address": t.ServerAddr + ":80"}}, Every: experiments.Duration(5 * time.Millisecond), Netns: t.Client}
		stop, err := ex.StartProbes(context.Background(), time.Now(), []remote.ProbeSpec{{Name: "web", Def: def}}, func(_ string, s probes.Sample) {
			if s.OK {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
		})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ok.Load).Should(BeNumerically(">", 5))
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(context.Background())).To(Succeed())
		Eventually(failed.Load).Should(BeNumerically(">", 5))
		Expect(f.Revert(context.Background())).To(Succeed())
		stop()
		Expect(linkUp(t.Client)).To(BeTrue())
		Expect(ex.Lost()).To(BeNil())
		Expect(ex.Clock().Error).To(BeZero())
	})

	It("measures a 300 ms cut at 1 ms probing within 5 ms, as on a host", FlakeAttempts(3), func() {
		t := nettest.New("fl-ra", "198.18.178", false)
		fastARP(t.Client, "eth0")
		fastARP(t.Server, "eth0")
		var ex remote.Executor = remote.Local{}
		params, _ := json.Marshal(map[string]string{"netns": t.Client, "link": "eth0"})
		f, err := ex.NewFault(context.Background(), remote.StepSpec{Name: "cut", Kind: "link.down", Params: params})
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		cutAccuracy("local", ex, t, &stamps{Fault: f})
	})
})

// stamps brackets a local fault's inject and revert with this machine's clock.
type stamps struct {
	faults.Fault
	inj, injDone, rev, revDone time.Time
}

func (s *stamps) Inject(ctx context.Context) error {
	s.inj = time.Now()
	defer func() { s.injDone = time.Now() }()
	return s.Fault.Inject(ctx)
}

func (s *stamps) Revert(ctx context.Context) error {
	s.rev = time.Now()
	defer func() { s.revDone = time.Now() }()
	return s.Fault.Revert(ctx)
}

func (s *stamps) InjectedAt(base time.Time) (time.Duration, time.Duration) {
	return s.inj.Sub(base), s.injDone.Sub(base)
}

func (s *stamps) RevertedAt(base time.Time) (time.Duration, time.Duration) {
	return s.rev.Sub(base), s.revDone.Sub(base)
}

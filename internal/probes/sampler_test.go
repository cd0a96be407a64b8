package probes_test

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline/faultline/internal/probes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// recorder collects emitted samples per probe; emit may run concurrently.
type recorder struct {
	mu      sync.Mutex
	samples map[string][]probes.Sample
}

func (r *recorder) emit(name string, s probes.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.samples == nil {
		r.samples = map[string][]probes.Sample{}
	}
	r.samples[name] = append(r.samples[name], s)
}

func (r *recorder) of(name string) []probes.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]probes.Sample(nil), r.samples[name]...)
}

// runFor samples specs for d and returns what was emitted.
func runFor(d time.Duration, specs ...probes.Spec) *recorder {
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	probes.Run(ctx, time.Now(), specs, rec.emit)
	return rec
}

func okProber() probes.Prober {
	return probes.ProberFunc(func(context.Context) probes.Sample { return probes.Sample{OK: true, Value: 1} })
}

// sleeper sleeps d per check and records the most checks ever running at once.
type sleeper struct {
	d              time.Duration
	running, most  atomic.Int32
	checks         atomic.Int32
	honourDeadline bool
}

func (s *sleeper) Check(ctx context.Context) probes.Sample {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	s.checks.Add(1)
	if s.honourDeadline {
		select {
		case <-time.After(s.d):
		case <-ctx.Done():
			return probes.Sample{Detail: ctx.Err().Error()}
		}
	} else {
		time.Sleep(s.d)
	}
	return probes.Sample{OK: true}
}

var _ = Describe("sampler", func() {
	// The machine is shared: lateness under load is not the sampler's to
	// control, so these specs assert the invariants (never more samples than
	// ticks, never two in one tick, never overlapping) and loose lower bounds.

	It("samples at its interval", func() {
		rec := runFor(500*time.Millisecond, probes.Spec{Name: "fast", Prober: okProber(), Every: 10 * time.Millisecond})
		// Ticks at 0, 10, ... 490ms: at most 50 samples.
		n := len(rec.of("fast"))
		Expect(n).To(BeNumerically("<=", 50))
		Expect(n).To(BeNumerically(">=", 35))
	})

	It("stamps Start from base with the monotonic clock, one per tick, on the grid", func() {
		every := 10 * time.Millisecond
		rec := runFor(300*time.Millisecond, probes.Spec{Name: "p", Prober: okProber(), Every: every})
		ss := rec.of("p")
		Expect(len(ss)).To(BeNumerically(">", 20))
		onTime := 0
		for i := 1; i < len(ss); i++ {
			Expect(ss[i].Start).To(BeNumerically(">", ss[i-1].Start))
			Expect(ss[i].Start/every).To(BeNumerically(">", ss[i-1].Start/every), "two samples in one tick")
			if ss[i].Start%every < every/2 {
				onTime++
			}
		}
		// Aligned to base+k*every: most checks start just after their tick.
		Expect(onTime).To(BeNumerically(">=", len(ss)/2))
		Expect(ss[len(ss)-1].Start).To(BeNumerically("<", 310*time.Millisecond))
	})

	It("never overlaps checks of a slow probe and skips the ticks they cover", func() {
		// 25ms checks at 10ms ticks: the next check waits for the tick at 30ms.
		every := 10 * time.Millisecond
		slow := &sleeper{d: 25 * time.Millisecond}
		rec := runFor(600*time.Millisecond, probes.Spec{Name: "slow", Prober: slow, Every: every, Timeout: time.Second})
		ss := rec.of("slow")
		Expect(slow.most.Load()).To(Equal(int32(1)))
		Expect(len(ss)).To(BeNumerically("<=", 20)) // a third of the 60 ticks
		Expect(len(ss)).To(BeNumerically(">=", 12))
		for i := 1; i < len(ss); i++ {
			Expect(ss[i].Start - ss[i-1].Start).To(BeNumerically(">=", 25*time.Millisecond))
			Expect(ss[i].Start/every-ss[i-1].Start/every).To(BeNumerically(">=", 3), "ticks covered by the check must be skipped")
		}
	})

	It("does not let a slow probe delay a fast one", func() {
		slow := &sleeper{d: 300 * time.Millisecond}
		rec := runFor(500*time.Millisecond,
			probes.Spec{Name: "slow", Prober: slow, Every: 10 * time.Millisecond, Timeout: time.Second},
			probes.Spec{Name: "fast", Prober: okProber(), Every: 10 * time.Millisecond},
		)
		Expect(len(rec.of("slow"))).To(BeNumerically("<=", 2))
		// Had the slow probe held the fast one up, it would have 2 or 3.
		fast := rec.of("fast")
		Expect(len(fast)).To(BeNumerically(">=", 25))
		for i := 1; i < len(fast); i++ {
			Expect(fast[i].Start - fast[i-1].Start).To(BeNumerically("<", 150*time.Millisecond))
		}
	})

	It("gives each check a deadline of its timeout, defaulting to the interval", func() {
		budgets := func(sp probes.Spec) []time.Duration {
			var mu sync.Mutex
			var deadlines []time.Time
			sp.Prober = probes.ProberFunc(func(ctx context.Context) probes.Sample {
				dl, ok := ctx.Deadline()
				Expect(ok).To(BeTrue())
				mu.Lock()
				deadlines = append(deadlines, dl)
				mu.Unlock()
				return probes.Sample{OK: true}
			})
			rec := &recorder{}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			base := time.Now()
			probes.Run(ctx, base, []probes.Spec{sp}, rec.emit)
			mu.Lock()
			defer mu.Unlock()
			ss := rec.of(sp.Name)
			Expect(ss).To(HaveLen(len(deadlines)))
			var out []time.Duration
			for i, s := range ss {
				out = append(out, deadlines[i].Sub(base.Add(s.Start)))
			}
			return out
		}
		// The run's own deadline may cut the last check's budget shorter.
		a := budgets(probes.Spec{Name: "a", Every: 40 * time.Millisecond})
		Expect(a[0]).To(BeNumerically("~", 40*time.Millisecond, time.Millisecond))
		for _, b := range a {
			Expect(b).To(BeNumerically("<=", 41*time.Millisecond))
		}
		b := budgets(probes.Spec{Name: "b", Every: 40 * time.Millisecond, Timeout: 15 * time.Millisecond})
		Expect(b[0]).To(BeNumerically("~", 15*time.Millisecond, time.Millisecond))
		for _, d := range b {
			// A check that starts late (a loaded machine) near the end of
			// the run gets what is left of the run, never more than 15ms.
			Expect(d).To(BeNumerically("<=", 16*time.Millisecond))
		}
	})

	It("times a check out: the failed sample comes after the timeout, not later", func() {
		stuck := &sleeper{d: time.Hour, honourDeadline: true}
		rec := runFor(130*time.Millisecond, probes.Spec{Name: "stuck", Prober: stuck, Every: 50 * time.Millisecond, Timeout: 20 * time.Millisecond})
		ss := rec.of("stuck")
		Expect(len(ss)).To(BeNumerically(">=", 1))
		Expect(len(ss)).To(BeNumerically("<=", 3)) // at 0, 50 and 100ms
		for _, s := range ss {
			Expect(s.OK).To(BeFalse())
			Expect(s.Latency).To(BeNumerically(">=", 20*time.Millisecond))
			Expect(s.Latency).To(BeNumerically("<", 100*time.Millisecond))
		}
	})

	It("fills Latency only when the prober left it zero", func() {
		own := probes.ProberFunc(func(context.Context) probes.Sample {
			return probes.Sample{OK: true, Latency: 7 * time.Second}
		})
		timed := probes.ProberFunc(func(context.Context) probes.Sample {
			time.Sleep(3 * time.Millisecond)
			return probes.Sample{OK: true}
		})
		rec := runFor(50*time.Millisecond,
			probes.Spec{Name: "own", Prober: own, Every: 20 * time.Millisecond},
			probes.Spec{Name: "timed", Prober: timed, Every: 20 * time.Millisecond},
		)
		Expect(rec.of("own")[0].Latency).To(Equal(7 * time.Second))
		Expect(rec.of("timed")[0].Latency).To(BeNumerically(">=", 3*time.Millisecond))
	})

	It("turns a panicking check into a failed sample and carries on", func() {
		var n atomic.Int32
		flaky := probes.ProberFunc(func(context.Context) probes.Sample {
			if n.Add(1) == 1 {
				panic("probe exploded")
			}
			return probes.Sample{OK: true}
		})
		rec := runFor(100*time.Millisecond, probes.Spec{Name: "flaky", Prober: flaky, Every: 20 * time.Millisecond})
		ss := rec.of("flaky")
		Expect(len(ss)).To(BeNumerically(">=", 3))
		Expect(ss[0].OK).To(BeFalse())
		Expect(ss[0].Detail).To(ContainSubstring("probe exploded"))
		Expect(ss[1].OK).To(BeTrue())
	})

	It("returns promptly when ctx ends, cutting checks that honour it", func() {
		stuck := &sleeper{d: time.Hour, honourDeadline: true}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		rec := &recorder{}
		go func() {
			defer close(done)
			probes.Run(ctx, time.Now(), []probes.Spec{{Name: "stuck", Prober: stuck, Every: time.Hour}}, rec.emit)
		}()
		Eventually(stuck.running.Load).Should(Equal(int32(1)))
		cancel()
		Eventually(done).WithTimeout(100 * time.Millisecond).Should(BeClosed())
		// The check the run's end cut short says nothing about the service.
		Expect(rec.of("stuck")).To(BeEmpty())
	})

	It("waits for an in-flight check that ignores ctx before returning", func() {
		deaf := &sleeper{d: 200 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		rec := &recorder{}
		go func() {
			Eventually(deaf.running.Load).Should(Equal(int32(1)))
			cancel()
		}()
		start := time.Now()
		probes.Run(ctx, time.Now(), []probes.Spec{{Name: "deaf", Prober: deaf, Every: time.Hour}}, rec.emit)
		Expect(time.Since(start)).To(BeNumerically(">=", 200*time.Millisecond))
		Expect(deaf.running.Load()).To(Equal(int32(0)))
		Expect(rec.of("deaf")).To(HaveLen(1)) // its ok sample still counts
	})

	It("waits for base when base is in the future", func() {
		rec := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		probes.Run(ctx, time.Now().Add(100*time.Millisecond), []probes.Spec{{Name: "p", Prober: okProber(), Every: 20 * time.Millisecond}}, rec.emit)
		ss := rec.of("p")
		Expect(ss).NotTo(BeEmpty())
		Expect(ss[0].Start).To(BeNumerically(">=", 0))
		Expect(len(ss)).To(BeNumerically("<=", 4))
	})
})

var _ = Describe("NewSpec", func() {
	It("takes the kind's timeout, or the interval when it has none", func() {
		sp, err := probes.NewSpec(named(def("tcp", probes.TCPParams{Address: "127.0.0.1:1", Timeout: ms(150)}, 20*time.Millisecond, ""), "db"))
		Expect(err).NotTo(HaveOccurred())
		Expect(sp.Name).To(Equal("db"))
		Expect(sp.Every).To(Equal(20 * time.Millisecond))
		Expect(sp.Timeout).To(Equal(150 * time.Millisecond))

		sp, err = probes.NewSpec(def("http", probes.HTTPParams{URL: "http://127.0.0.1/"}, 0, ""))
		Expect(err).NotTo(HaveOccurred())
		Expect(sp.Every).To(Equal(probes.DefaultEvery))
		Expect(sp.Timeout).To(Equal(probes.DefaultEvery))
	})

	It("fails for a kind that is not registered", func() {
		_, err := probes.NewSpec(probes.Def{Name: "x", Kind: "gopher"})
		Expect(err).To(MatchError(ContainSubstring("not available")))
	})
})

package verify_test

import (
	"math/rand"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/verify"
)

func aborting(conds ...experiments.AbortWhen) *experiments.Experiment {
	return &experiments.Experiment{Version: 1, Name: "t", AbortWhen: conds}
}

func smp(start time.Duration, ok bool, latency time.Duration) measure.Sample {
	return measure.Sample{Start: start, OK: ok, Latency: latency}
}

var _ = Describe("AbortWatcher", func() {
	Describe("outageLongerThan", func() {
		e := aborting(experiments.AbortWhen{Probe: "web", OutageLongerThan: dur(time.Second)})

		It("trips once failures last longer than D, counting the last check's latency", func() {
			w := verify.NewAbortWatcher(e)
			for _, s := range []measure.Sample{smp(0, true, ms), smp(500*ms, false, 10*ms), smp(1400*ms, false, 100*ms)} {
				abort, _ := w.Observe("web", s)
				Expect(abort).To(BeFalse()) // 1.4s+100ms-0.5s is exactly 1s: not longer
			}
			abort, reason := w.Observe("web", smp(1500*ms, false, ms))
			Expect(abort).To(BeTrue())
			Expect(reason).To(Equal("web failed continuously for 1.001s since 0.500s (outageLongerThan 1s)"))

			// Tripped stays tripped, with the first reason.
			abort, again := w.Observe("web", smp(1600*ms, true, ms))
			Expect(abort).To(BeTrue())
			Expect(again).To(Equal(reason))
		})

		It("restarts the count after an ok sample", func() {
			w := verify.NewAbortWatcher(e)
			for _, s := range []measure.Sample{smp(500*ms, false, ms), smp(time.Second, true, ms), smp(1200*ms, false, ms), smp(2100*ms, false, ms)} {
				abort, _ := w.Observe("web", s)
				Expect(abort).To(BeFalse())
			}
			abort, _ := w.Observe("web", smp(2200*ms, false, ms))
			Expect(abort).To(BeTrue())
		})

		It("judges a check still running against the current time", func() {
			w := verify.NewAbortWatcher(e)
			w.Observe("web", smp(500*ms, false, ms))
			abort, _ := w.Check(1500 * ms)
			Expect(abort).To(BeFalse())
			abort, reason := w.Check(1500*ms + time.Nanosecond)
			Expect(abort).To(BeTrue())
			Expect(reason).To(ContainSubstring("outageLongerThan 1s"))
		})

		It("ignores probes without conditions", func() {
			w := verify.NewAbortWatcher(e)
			abort, _ := w.Observe("db", smp(0, false, time.Hour))
			Expect(abort).To(BeFalse())
			abort, _ = w.Check(time.Hour)
			Expect(abort).To(BeFalse())
		})
	})

	Describe("availabilityBelow", func() {
		e := aborting(experiments.AbortWhen{Probe: "web", AvailabilityBelow: "90%", Window: dur(time.Second)})

		feed := func(w *verify.AbortWatcher, pattern string) (int, string) {
			for i, s := range series(0, 100*ms, pattern) {
				if abort, reason := w.Observe("web", s); abort {
					return i, reason
				}
			}
			return -1, ""
		}

		It("judges only once a full window of samples exists", func() {
			// 2 failures in the first 5 samples (60%) do not trip it; at
			// 1.0s the window (0s, 1.0s] holds 10 samples, 8 ok: 80%.
			i, reason := feed(verify.NewAbortWatcher(e), "+++--++++++++")
			Expect(i).To(Equal(10))
			Expect(reason).To(Equal("web availability 80.00% over the 1s to 1.000s (availabilityBelow 90%)"))
		})

		It("slides: a failure leaves the window after the window's length", func() {
			// failures at 0s and 0.5s: at 1.0s the one at 0s has left,
			// 9 of 10 ok is not below 90%; the failure at 1.2s trips it.
			i, _ := feed(verify.NewAbortWatcher(e), "-++++-++++++-++")
			Expect(i).To(Equal(12))
			j, _ := feed(verify.NewAbortWatcher(e), "-++++-+++++++++++")
			Expect(j).To(Equal(-1))
		})

		It("defaults to a 10s window", func() {
			w := verify.NewAbortWatcher(aborting(experiments.AbortWhen{Probe: "web", AvailabilityBelow: "50%"}))
			for i, s := range series(0, time.Second, "-----------") {
				abort, _ := w.Observe("web", s)
				Expect(abort).To(Equal(i == 10), "sample %d", i)
			}
		})

		It("agrees with a brute-force sliding window on random sequences", func() {
			rng := rand.New(rand.NewSource(GinkgoRandomSeed()))
			tripped := 0
			for trial := 0; trial < 300; trial++ {
				window := time.Duration(20+rng.Intn(400)) * ms
				below := float64(50 + rng.Intn(50))
				okProb := 0.8 + rng.Float64()*0.2
				n := 100 + rng.Intn(3000)
				if trial%50 == 0 {
					n = 30000 // long enough to recycle the ring many times
				}
				var s []measure.Sample
				t := time.Duration(rng.Intn(1000)) * ms
				for i := 0; i < n; i++ {
					t += time.Duration(1+rng.Intn(3)) * ms
					s = append(s, smp(t, rng.Float64() < okProb, 0))
				}
				want := -1
				for i := range s {
					if s[i].Start-s[0].Start < window {
						continue
					}
					ok, all := 0, 0
					for j := i; j >= 0 && s[j].Start > s[i].Start-window; j-- {
						all++
						if s[j].OK {
							ok++
						}
					}
					if float64(ok)*100/float64(all) < below {
						want = i
						break
					}
				}
				w := verify.NewAbortWatcher(aborting(experiments.AbortWhen{Probe: "p", AvailabilityBelow: experimentsPercent(below), Window: dur(window)}))
				got := -1
				for i := range s {
					if abort, _ := w.Observe("p", s[i]); abort {
						got = i
						break
					}
				}
				Expect(got).To(Equal(want), "trial %d: window %s below %v%%", trial, window, below)
				if got >= 0 {
					tripped++
				}
			}
			// Both outcomes must be exercised for the comparison to mean anything.
			Expect(tripped).To(And(BeNumerically(">", 30), BeNumerically("<", 270)))
		})
	})

	It("is safe to feed from several goroutines at once", func() {
		w := verify.NewAbortWatcher(aborting(
			experiments.AbortWhen{Probe: "a", OutageLongerThan: dur(time.Hour)},
			experiments.AbortWhen{Probe: "b", OutageLongerThan: dur(5 * time.Second)},
			experiments.AbortWhen{Probe: "b", AvailabilityBelow: "1%", Window: dur(time.Minute)},
		))
		var wg sync.WaitGroup
		for _, p := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10000; i++ {
					w.Observe(p, smp(time.Duration(i)*ms, p == "a", 0))
					w.Check(time.Duration(i) * ms)
				}
			}()
		}
		wg.Wait()
		abort, reason := w.Aborted()
		Expect(abort).To(BeTrue())
		Expect(reason).To(HavePrefix("b failed continuously for 5.001s"))
	})
})

var _ = Describe("CheckAbort", func() {
	e := aborting(
		experiments.AbortWhen{Probe: "web", OutageLongerThan: dur(time.Second)},
		experiments.AbortWhen{Probe: "db", OutageLongerThan: dur(time.Second)},
	)
	base := func(web, db string) verify.Timeline {
		return verify.Timeline{MethodStart: 2 * time.Second, MethodEnd: 8 * time.Second, End: 10 * time.Second,
			Samples: map[string][]measure.Sample{"web": series(0, 100*ms, web), "db": series(0, 100*ms, db)}}
	}
	healthy := repeat('+', 100)

	It("replays the method phase and names the condition that tripped first", func() {
		// web fails from 4.0s (trips at 5.1s+1ms), db from 3.5s (trips at 4.6s+1ms).
		tl := base(repeat('+', 40)+repeat('-', 60), repeat('+', 35)+repeat('-', 65))
		abort, reason := verify.CheckAbort(e, tl)
		Expect(abort).To(BeTrue())
		Expect(reason).To(Equal("db failed continuously for 1.001s since 3.500s (outageLongerThan 1s)"))
	})

	It("ignores failures before the method and after its end", func() {
		tl := base(repeat('-', 19)+repeat('+', 62)+repeat('-', 19), healthy)
		abort, reason := verify.CheckAbort(e, tl)
		Expect(abort).To(BeFalse(), reason)
		// The same failures inside the method do trip it.
		tl.MethodStart = 0
		abort, _ = verify.CheckAbort(e, tl)
		Expect(abort).To(BeTrue())
	})

	It("reports no abort for a healthy run or no conditions", func() {
		abort, _ := verify.CheckAbort(e, base(healthy, healthy))
		Expect(abort).To(BeFalse())
		abort, _ = verify.CheckAbort(aborting(), base(repeat('-', 100), healthy))
		Expect(abort).To(BeFalse())
	})
})

var _ = Describe("AbortWatcher: for (a condition that holds too long)", func() {
	It("trips once the probe has been ok for D, restarting after a failed sample, naming an inline query", func() {
		e := aborting(experiments.AbortWhen{Probe: "abortWhen[0]", For: dur(3 * time.Second),
			Inline: experiments.Inline{Kind: "prometheus", With: map[string]any{"url": "http://198.18.0.1:9090", "query": "up == 0"}}})
		w := verify.NewAbortWatcher(e)
		for _, s := range []measure.Sample{smp(0, true, ms), smp(time.Second, false, ms), smp(2*time.Second, true, ms),
			smp(3*time.Second, true, ms), smp(4*time.Second, true, ms)} {
			abort, _ := w.Observe("abortWhen[0]", s)
			Expect(abort).To(BeFalse(), "the failed sample at 1s restarted the count")
		}
		abort, reason := w.Observe("abortWhen[0]", smp(5*time.Second, true, ms))
		Expect(abort).To(BeTrue())
		Expect(reason).To(Equal(`prometheus query "up == 0" held for 3.000s since 2.000s (for 3s)`))
	})

	It("is replayed from a journal's timeline as the engine judged it", func() {
		e := aborting(experiments.AbortWhen{Probe: "slo", For: dur(2 * time.Second)})
		tl := verify.Timeline{MethodStart: 0, End: 10 * time.Second, Samples: map[string][]measure.Sample{
			"slo": {smp(0, false, ms), smp(time.Second, true, ms), smp(2*time.Second, true, ms), smp(3*time.Second, true, ms)},
		}}
		abort, reason := verify.CheckAbort(e, tl)
		Expect(abort).To(BeTrue())
		Expect(reason).To(Equal("slo held for 2.000s since 1.000s (for 2s)"))
	})
})

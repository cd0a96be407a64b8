package verify_test

import (
	"math/rand"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/verify"
)

func one(e *experiments.Experiment, tl verify.Timeline) verify.Verdict {
	GinkgoHelper()
	vs := verify.Evaluate(e, tl)
	Expect(vs).To(HaveLen(1))
	return vs[0]
}

var _ = Describe("availability", func() {
	// Samples every 10ms over 30s; the step's window [10s, 19.99s] holds
	// exactly 1000 of them, including the samples at inject and at revert.
	build := func(failIdx ...int) verify.Timeline {
		s := series(0, 10*ms, repeat('+', 3001))
		for _, i := range failIdx {
			s[i].OK = false
		}
		return verify.Timeline{
			End:     30 * time.Second,
			Steps:   map[string]verify.StepTimes{"cut": {Injected: true, Inject: 10 * time.Second, Reverted: true, Revert: 19990 * ms}},
			Samples: map[string][]measure.Sample{"web": s},
		}
	}
	// 999 and 2000 lie just outside the window: they must not count.
	edges := []int{999, 1000, 1999, 2000, 1500, 1501, 1502}
	e := exp([]string{"cut"}, experiments.Verify{Probe: "web", Availability: ">= 99.5%", During: "cut", Line: 7})

	It("passes exactly at the bound, counting samples at inject and revert", func() {
		v := one(e, build(edges...))
		Expect(v.Passed).To(BeTrue(), v.Detail)
		Expect(v.Value).To(Equal(99.5))
		Expect(v.Measured).To(Equal("99.50%"))
		Expect(v.Detail).To(Equal("995 of 1000 samples ok"))
		Expect(v.Name).To(Equal("web availability during cut"))
		Expect(v.Kind).To(Equal(verify.KindAvailability))
		Expect(v.Bound).To(Equal(">= 99.5%"))
		Expect(v.Window).To(Equal(verify.Phase{From: 10 * time.Second, To: 19990 * ms}))
		Expect(v.Line).To(Equal(7))
	})

	It("fails one sample below the bound", func() {
		v := one(e, build(append(edges, 1700)...))
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("99.40%"))
	})

	It("fails a strict bound met exactly", func() {
		strict := exp([]string{"cut"}, experiments.Verify{Probe: "web", Availability: "> 99.5%", During: "cut"})
		Expect(one(strict, build(edges...)).Passed).To(BeFalse())
	})

	It("shows enough decimals not to round across the bound", func() {
		s := series(0, ms, repeat('+', 100000))
		s[5].OK = false
		s[6].OK = false // 99.998%
		tl := verify.Timeline{End: 100 * time.Second, Samples: map[string][]measure.Sample{"web": s}}
		v := one(exp(nil, experiments.Verify{Probe: "web", Availability: ">= 99.999%"}), tl)
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("99.998%"))
		Expect(v.Window).To(Equal(verify.Phase{From: 0, To: 100 * time.Second}))
	})
})

var _ = Describe("maxOutage", func() {
	s := append(at(true, 0, 500*ms), at(false, 1000*ms, 1500*ms, 2000*ms, 2500*ms, 3000*ms)...)
	s = append(s, at(true, 3004*ms)...)
	s = append(s, at(false, 5*time.Second)...)
	s = append(s, at(true, 5500*ms, 9900*ms)...)
	tl := verify.Timeline{End: 10 * time.Second, Samples: map[string][]measure.Sample{"web": s}}

	It("measures from the first failed sample to the next ok sample", func() {
		v := one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(2004 * ms)}), tl)
		Expect(v.Passed).To(BeTrue(), v.Detail)
		Expect(v.Measured).To(Equal("2.004s"))
		Expect(v.Value).To(BeNumerically("~", 2.004, 1e-12))
		Expect(v.Bound).To(Equal("2.004s"))
		Expect(v.Name).To(Equal("web maxOutage"))
		Expect(v.Detail).To(Equal("longest outage from 1.000s to 3.004s (5 failed samples)"))
	})

	It("fails a microsecond under the measured outage", func() {
		v := one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(2004*ms - time.Microsecond)}), tl)
		Expect(v.Passed).To(BeFalse())
	})

	It("lists every outage for reports", func() {
		Expect(verify.Outages(s, tl.WholeRun())).To(Equal([]verify.Outage{
			{From: 1000 * ms, To: 3004 * ms, Samples: 5},
			{From: 5 * time.Second, To: 5500 * ms, Samples: 1},
		}))
	})

	It("passes with no outage at all, measuring zero", func() {
		ok := verify.Timeline{End: 2 * time.Second, Samples: map[string][]measure.Sample{"web": series(0, 100*ms, repeat('+', 20))}}
		v := one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(0)}), ok)
		Expect(v.Passed).To(BeTrue())
		Expect(v.Measured).To(Equal("0.000s"))
	})

	Context("with a run still failing at the window's end", func() {
		// ok 0..8s, failing 8.5s, 9s, 9.5s, probing ends at 10s.
		open := verify.Timeline{End: 10 * time.Second, Samples: map[string][]measure.Sample{
			"web": series(0, 500*ms, repeat('+', 17)+"---"),
		}}

		It("counts the outage to the end of the window", func() {
			v := one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(1500 * ms)}), open)
			Expect(v.Passed).To(BeTrue(), v.Detail)
			Expect(v.Measured).To(Equal("1.500s"))
			Expect(v.Detail).To(ContainSubstring("still failing at the window's end"))
			Expect(one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(1499 * ms)}), open).Passed).To(BeFalse())
			Expect(verify.Outages(open.Samples["web"], open.WholeRun())).To(Equal([]verify.Outage{
				{From: 8500 * ms, To: 10 * time.Second, Samples: 3, Open: true},
			}))
		})

		It("cuts an outage at the end of a during window", func() {
			// failing 5s..7s, ok again at 7.5s; the step holds [2s, 6s].
			tl := verify.Timeline{
				End:     10 * time.Second,
				Steps:   map[string]verify.StepTimes{"cut": {Injected: true, Inject: 2 * time.Second, Reverted: true, Revert: 6 * time.Second}},
				Samples: map[string][]measure.Sample{"web": series(0, 500*ms, "++++++++++-----++++")},
			}
			during := one(exp([]string{"cut"}, experiments.Verify{Probe: "web", MaxOutage: dur(time.Second), During: "cut"}), tl)
			Expect(during.Measured).To(Equal("1.000s"))
			Expect(during.Passed).To(BeTrue())
			whole := one(exp(nil, experiments.Verify{Probe: "web", MaxOutage: dur(time.Second)}), tl)
			Expect(whole.Measured).To(Equal("2.500s"))
			Expect(whole.Passed).To(BeFalse())
		})
	})
})

var _ = Describe("reaches", func() {
	axe := verify.StepTimes{Injected: true, Inject: 5 * time.Second, Reverted: true, Revert: 20 * time.Second}
	replicas := []measure.Sample{
		{Start: 4 * time.Second, OK: true, Value: 2}, // before the anchor: ignored
		{Start: 5 * time.Second, OK: true, Value: 1},
		{Start: 6 * time.Second, OK: true, Value: 1},
		{Start: 9213 * ms, OK: true, Value: 2},
		{Start: 30 * time.Second, OK: true, Value: 2},
	}
	tl := verify.Timeline{End: 30 * time.Second, Steps: map[string]verify.StepTimes{"axe": axe},
		Samples: map[string][]measure.Sample{"replicas": replicas}}
	reach := func(within time.Duration) *experiments.Experiment {
		return exp([]string{"axe"}, experiments.Verify{Probe: "replicas", Reaches: ">= 2", Within: dur(within), After: "axe"})
	}

	It("measures the time from the step's inject to the first matching sample", func() {
		v := one(reach(4213*ms), tl)
		Expect(v.Passed).To(BeTrue(), v.Detail)
		Expect(v.Measured).To(Equal("4.213s"))
		Expect(v.Value).To(BeNumerically("~", 4.213, 1e-12))
		Expect(v.Bound).To(Equal(">= 2 within 4.213s"))
		Expect(v.Name).To(Equal("replicas reaches >= 2 after axe"))
		Expect(v.Window).To(Equal(verify.Phase{From: 5 * time.Second, To: 9213 * ms}))
	})

	It("fails when the first match starts after the deadline, still measuring it", func() {
		v := one(reach(4212*ms), tl)
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("4.213s"))
		Expect(v.Detail).To(Equal("reached after 4.213s, later than 4.212s"))
	})

	It("fails when never reached, with the last value seen in time", func() {
		flat := verify.Timeline{End: 30 * time.Second, Steps: tl.Steps,
			Samples: map[string][]measure.Sample{"replicas": replicas[:3]}}
		v := one(reach(10*time.Second), flat)
		Expect(v.Passed).To(BeFalse())
		Expect(v.Detail).To(Equal("not reached within 10.000s (last value 1)"))
		Expect(v.Measured).To(Equal("> 1.000s"))
	})

	It("counts a match at the very moment of the anchor as zero", func() {
		e := exp([]string{"axe"}, experiments.Verify{Probe: "replicas", Reaches: "== 1", Within: dur(0), After: "axe"})
		v := one(e, tl)
		Expect(v.Passed).To(BeTrue())
		Expect(v.Measured).To(Equal("0.000s"))
	})

	Context("after STEP.end", func() {
		// failing from 5s, ok again at 21.5s; the revert was at 20s.
		web := series(0, 500*ms, repeat('+', 10)+repeat('-', 33)+repeat('+', 17))
		tl := verify.Timeline{End: 30 * time.Second, Steps: map[string]verify.StepTimes{"axe": axe},
			Samples: map[string][]measure.Sample{"web": web}}
		recovery := func(within time.Duration) *experiments.Experiment {
			return exp([]string{"axe"}, experiments.Verify{Probe: "web", Reaches: "ok", Within: dur(within), After: "axe.end"})
		}

		It("measures recovery from the revert", func() {
			Expect(web[43].Start).To(Equal(21500 * ms))
			v := one(recovery(1500*ms), tl)
			Expect(v.Passed).To(BeTrue(), v.Detail)
			Expect(v.Measured).To(Equal("1.500s"))
			Expect(v.Name).To(Equal("web reaches ok after axe.end"))
			Expect(one(recovery(1499*ms), tl).Passed).To(BeFalse())
		})

		It("fails for a step that was never reverted", func() {
			held := verify.Timeline{End: 30 * time.Second, Samples: tl.Samples,
				Steps: map[string]verify.StepTimes{"axe": {Injected: true, Inject: 5 * time.Second}}}
			v := one(recovery(time.Second), held)
			Expect(v.Passed).To(BeFalse())
			Expect(v.Detail).To(Equal("step axe was never reverted"))
		})

		It("reports a failed last sample", func() {
			down := verify.Timeline{End: 30 * time.Second, Steps: tl.Steps,
				Samples: map[string][]measure.Sample{"web": web[:43]}}
			fail := exp([]string{"axe"}, experiments.Verify{Probe: "web", Reaches: "ok", Within: dur(time.Second), After: "axe"})
			v := one(fail, down)
			Expect(v.Passed).To(BeFalse())
			Expect(v.Detail).To(Equal("not reached within 1.000s (last value 0, failed)"))
		})
	})
})

var _ = Describe("windows", func() {
	It("fails an assertion on a step that never ran", func() {
		tl := verify.Timeline{End: 10 * time.Second, Samples: map[string][]measure.Sample{"web": series(0, time.Second, "++++++++++")},
			Steps: map[string]verify.StepTimes{"planned": {Injected: false}}}
		for _, v := range verify.Evaluate(exp([]string{"ghost", "planned"},
			experiments.Verify{Probe: "web", Availability: ">= 1%", During: "ghost"},
			experiments.Verify{Probe: "web", Reaches: "ok", Within: dur(time.Second), After: "planned"},
			experiments.Verify{Probe: "web", Latency: &experiments.Latency{"p50": "< 1s"}, During: "ghost"},
		), tl) {
			Expect(v.Passed).To(BeFalse(), v.Name)
			Expect(v.Detail).To(MatchRegexp(`^step (ghost|planned) never ran$`))
			Expect(v.Measured).To(Equal("n/a"))
		}
	})

	It("extends `during` a never-reverted step to the end of the run", func() {
		// samples each second 0..21; the run ends at 20s; failing 18s..21s.
		s := series(0, time.Second, repeat('+', 18)+"----")
		tl := verify.Timeline{MethodStart: 2 * time.Second, End: 20 * time.Second,
			Steps:   map[string]verify.StepTimes{"cut": {Injected: true, Inject: 10 * time.Second}},
			Samples: map[string][]measure.Sample{"web": s}}
		vs := verify.Evaluate(exp([]string{"cut"},
			experiments.Verify{Probe: "web", Availability: ">= 70%", During: "cut"},
			experiments.Verify{Probe: "web", MaxOutage: dur(2 * time.Second), During: "cut"},
		), tl)
		Expect(vs[0].Window).To(Equal(verify.Phase{From: 10 * time.Second, To: 20 * time.Second}))
		Expect(vs[0].Measured).To(Equal("72.73%")) // 8 of 11: the sample at 21s is outside
		Expect(vs[0].Passed).To(BeTrue())
		Expect(vs[1].Measured).To(Equal("2.000s"))
		Expect(vs[1].Passed).To(BeTrue())
	})

	It("fails every kind on a window without samples", func() {
		tl := verify.Timeline{End: 10 * time.Second, Samples: map[string][]measure.Sample{"web": series(20*time.Second, time.Second, "+")}}
		vs := verify.Evaluate(exp(nil,
			experiments.Verify{Probe: "web", Availability: ">= 1%"},
			experiments.Verify{Probe: "web", MaxOutage: dur(time.Hour)},
			experiments.Verify{Probe: "nothing", Reaches: "ok", Within: dur(time.Second)},
			experiments.Verify{Probe: "web", Latency: &experiments.Latency{"p99": "< 1h"}},
			experiments.Verify{Probe: "web", Never: "ok"},
		), tl)
		Expect(vs).To(HaveLen(5))
		for _, v := range vs {
			Expect(v.Passed).To(BeFalse(), v.Name)
			Expect(v.Detail).To(Equal(verify.DetailNoSamples), v.Name)
		}
	})
})

var _ = Describe("latency", func() {
	// 100 ok samples with latencies 1..100ms in random order, and 50
	// failed ones at a 5s timeout that must not count.
	rng := rand.New(rand.NewSource(7))
	var s []measure.Sample
	for i, p := range rng.Perm(150) {
		smp := measure.Sample{Start: time.Duration(i) * 10 * ms, OK: p < 100, Latency: 5 * time.Second}
		if smp.OK {
			smp.Latency = time.Duration(p+1) * ms
		}
		s = append(s, smp)
	}
	tl := verify.Timeline{End: 2 * time.Second, Samples: map[string][]measure.Sample{"web": s}}

	It("gives one nearest-rank verdict per key, lowest percentile first, over ok samples", func() {
		vs := verify.Evaluate(exp(nil, experiments.Verify{Probe: "web", Line: 3,
			Latency: &experiments.Latency{"p99": "< 99ms", "max": "<= 100ms", "p50": "<= 50ms", "p90": "< 90ms", "p99.9": "<= 100ms"}}), tl)
		Expect(vs).To(HaveLen(5))
		names := []string{}
		for _, v := range vs {
			names = append(names, v.Name)
			Expect(v.Kind).To(Equal(verify.KindLatency))
			Expect(v.Line).To(Equal(3))
			Expect(v.Detail).To(ContainSubstring("of 100 ok samples (50 failed samples excluded)"))
		}
		Expect(names).To(Equal([]string{"web latency p50", "web latency p90", "web latency p99", "web latency p99.9", "web latency max"}))
		Expect([]string{vs[0].Measured, vs[1].Measured, vs[2].Measured, vs[3].Measured, vs[4].Measured}).
			To(Equal([]string{"50ms", "90ms", "99ms", "100ms", "100ms"}))
		Expect([]bool{vs[0].Passed, vs[1].Passed, vs[2].Passed, vs[3].Passed, vs[4].Passed}).
			To(Equal([]bool{true, false, false, true, true}))
		Expect(vs[2].Bound).To(Equal("p99 < 99ms"))
		Expect(vs[2].Value).To(BeNumerically("~", 0.099, 1e-12))
	})

	It("passes a bound equal to the percentile when inclusive", func() {
		v := one(exp(nil, experiments.Verify{Probe: "web", Latency: &experiments.Latency{"p99": "<= 99ms"}}), tl)
		Expect(v.Passed).To(BeTrue())
	})

	It("takes the nearest rank, not an interpolation", func() {
		var k []measure.Sample
		for i := 0; i < 1000; i++ {
			k = append(k, measure.Sample{Start: time.Duration(i) * ms, OK: true, Latency: time.Duration(1000-i) * time.Microsecond})
		}
		three := []measure.Sample{{Start: 0, OK: true, Latency: 30 * ms}, {Start: ms, OK: true, Latency: 10 * ms}, {Start: 2 * ms, OK: true, Latency: 20 * ms}}
		tl := verify.Timeline{End: time.Second, Samples: map[string][]measure.Sample{"k": k, "three": three}}
		vs := verify.Evaluate(exp(nil,
			experiments.Verify{Probe: "k", Latency: &experiments.Latency{"p99.9": "< 1s", "p1": "< 1s"}},
			experiments.Verify{Probe: "three", Latency: &experiments.Latency{"p50": "< 1s", "p34": "< 1s", "p33": "< 1s"}},
		), tl)
		Expect([]string{vs[0].Measured, vs[1].Measured}).To(Equal([]string{"10µs", "999µs"}))
		Expect([]string{vs[2].Measured, vs[3].Measured, vs[4].Measured}).To(Equal([]string{"10ms", "20ms", "20ms"}))
	})

	It("fails when every sample failed", func() {
		bad := verify.Timeline{End: time.Second, Samples: map[string][]measure.Sample{"web": series(0, 100*ms, "-----")}}
		v := one(exp(nil, experiments.Verify{Probe: "web", Latency: &experiments.Latency{"p50": "< 1s"}}), bad)
		Expect(v.Passed).To(BeFalse())
		Expect(v.Detail).To(Equal("no ok samples in window (5 failed)"))
	})
})

var _ = Describe("never", func() {
	e := exp(nil, experiments.Verify{Probe: "split", Never: "ok"})

	It("passes when no sample is ok", func() {
		v := one(e, verify.Timeline{End: time.Second, Samples: map[string][]measure.Sample{"split": series(0, 100*ms, "----------")}})
		Expect(v.Passed).To(BeTrue())
		Expect(v.Measured).To(Equal("0"))
		Expect(v.Name).To(Equal("split never ok"))
	})

	It("fails on one ok sample, counting them", func() {
		v := one(e, verify.Timeline{End: time.Second, Samples: map[string][]measure.Sample{"split": series(0, 100*ms, "----+-----")}})
		Expect(v.Passed).To(BeFalse())
		Expect(v.Value).To(Equal(1.0))
		Expect(v.Measured).To(Equal("1"))
		Expect(v.Detail).To(Equal("1 of 10 samples ok, the first at 0.400s"))
	})

	It("ignores ok samples before the method", func() {
		v := one(e, verify.Timeline{MethodStart: 500 * ms, End: time.Second,
			Samples: map[string][]measure.Sample{"split": series(0, 100*ms, "++++------")}})
		Expect(v.Passed).To(BeTrue())
	})
})

var _ = Describe("steadyState", func() {
	steady := &experiments.Experiment{SteadyState: []experiments.SteadyState{{Probe: "web", For: experiments.Duration(2 * time.Second), Line: 4}}}
	// samples every 100ms over [0s, 3s] (31 of them) and [10s, 13s].
	tl := func(before, after string) verify.Timeline {
		return verify.Timeline{MethodStart: 3 * time.Second, End: 13 * time.Second,
			SteadyBefore: verify.Phase{From: 0, To: 3 * time.Second},
			SteadyAfter:  verify.Phase{From: 10 * time.Second, To: 13 * time.Second},
			Samples:      map[string][]measure.Sample{"web": append(series(0, 100*ms, before), series(10*time.Second, 100*ms, after)...)}}
	}
	all := repeat('+', 31)

	It("passes a run whose first and last ok samples are exactly `for` apart", func() {
		vs := verify.Evaluate(steady, tl("-----"+repeat('+', 21)+"-----", all))
		Expect(vs).To(HaveLen(2))
		Expect(vs[0].Name).To(Equal("steady state before: web ok for 2s"))
		Expect(vs[0].Passed).To(BeTrue(), vs[0].Detail)
		Expect(vs[0].Measured).To(Equal("2.000s"))
		Expect(vs[0].Line).To(Equal(4))
		Expect(vs[0].Window).To(Equal(verify.Phase{From: 0, To: 3 * time.Second}))
		Expect(vs[1].Name).To(Equal("steady state after: web ok for 2s"))
		Expect(vs[1].Measured).To(Equal("3.000s"))
		Expect(vs[1].Passed).To(BeTrue())
	})

	It("fails one sample short", func() {
		v := verify.Evaluate(steady, tl("-----"+repeat('+', 20)+"------", all))[0]
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("1.900s"))
		Expect(v.Detail).To(Equal("longest ok run 1.900s (20 samples, from 0.500s); needs 2s"))
	})

	It("fails a run interrupted by one failed sample", func() {
		vs := verify.Evaluate(steady, tl(all, repeat('+', 15)+"-"+repeat('+', 15)))
		Expect(vs[0].Passed).To(BeTrue())
		Expect(vs[1].Passed).To(BeFalse())
		Expect(vs[1].Measured).To(Equal("1.400s"))
	})

	It("fails a phase that was never reached", func() {
		t := tl(all, all)
		t.SteadyAfter = verify.Phase{}
		v := verify.Evaluate(steady, t)[1]
		Expect(v.Passed).To(BeFalse())
		Expect(v.Detail).To(Equal("the steady state after the method was not checked"))
	})

	// A data check every 10s held for 10s: two ok samples one interval
	// apart whose starts are a few µs off their scheduled moments (as
	// measured in the lab: 20.001231s and 30.000793s).
	slow := &experiments.Experiment{
		Probes:      map[string]*experiments.Probe{"data": {Every: experiments.Duration(10 * time.Second)}},
		SteadyState: []experiments.SteadyState{{Probe: "data", For: experiments.Duration(10 * time.Second)}},
	}
	slowTL := func(starts ...time.Duration) verify.Timeline {
		var ss []measure.Sample
		for i, st := range starts {
			ss = append(ss, measure.Sample{Start: st, OK: i > 0})
		}
		return verify.Timeline{MethodStart: 31 * time.Second, End: 60 * time.Second,
			SteadyBefore: verify.Phase{From: 0, To: 31 * time.Second},
			Samples:      map[string][]measure.Sample{"data": ss}}
	}

	It("counts a slow probe's run in whole sampling intervals, so jitter at its ends does not decide", func() {
		v := verify.Evaluate(slow, slowTL(10*time.Second, 20001231*time.Microsecond, 30000793*time.Microsecond))[0]
		Expect(v.Passed).To(BeTrue(), v.Detail)
		Expect(v.Measured).To(Equal("10.000s"))
	})

	It("still fails a slow probe that was ok for one sample only", func() {
		v := verify.Evaluate(slow, slowTL(10*time.Second, 20001231*time.Microsecond))[0]
		Expect(v.Passed).To(BeFalse())
		Expect(v.Detail).To(Equal("longest ok run 0.000s (1 samples, from 20.001s); needs 10s"))
	})

	It("does not round a fast probe's run up by its jitter", func() {
		Expect(verify.SteadyHeld(verify.Phase{From: 0, To: 1940 * ms}, 20, 100*ms, 2*time.Second)).To(BeFalse())
		Expect(verify.SteadyHeld(verify.Phase{From: 0, To: 1960 * ms}, 21, 100*ms, 2*time.Second)).To(BeTrue())
		Expect(verify.SteadyHeld(verify.Phase{From: 0, To: 1999 * ms}, 20, 0, 2*time.Second)).To(BeFalse())
	})

	It("orders steady before, verify entries, steady after, with unique names", func() {
		e := *steady
		e.Verify = []experiments.Verify{{Probe: "web", Never: "ok"}, {Probe: "web", Never: "ok"}}
		names := []string{}
		for _, v := range verify.Evaluate(&e, tl(all, all)) {
			names = append(names, v.Name)
		}
		Expect(names).To(Equal([]string{"steady state before: web ok for 2s", "web never ok", "web never ok #2", "steady state after: web ok for 2s"}))
	})
})

var _ = Describe("Passed", func() {
	It("holds when every verdict held, and for none", func() {
		vs := []verify.Verdict{
			{Name: "steady state before: web ok for 2s", Kind: verify.KindSteadyState, Passed: false},
			{Name: "web maxOutage", Kind: verify.KindMaxOutage, Passed: true},
			{Name: "web availability", Kind: verify.KindAvailability, Passed: false},
		}
		Expect(verify.Passed(vs)).To(BeFalse())
		Expect(verify.Passed(vs[1:2])).To(BeTrue())
		Expect(verify.Passed(nil)).To(BeTrue())
	})
})

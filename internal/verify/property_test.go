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

// bruteMaxOutage restates the rule without runs: from every failed sample
// in the window, scan forward to the next ok sample in the window (or the
// window's end) and keep the longest such span.
func bruteMaxOutage(s []measure.Sample, w verify.Phase) time.Duration {
	var best time.Duration
	for i := range s {
		if s[i].OK || s[i].Start < w.From || s[i].Start > w.To {
			continue
		}
		end := w.To
		for j := i + 1; j < len(s); j++ {
			if s[j].Start > w.To {
				break
			}
			if s[j].OK {
				end = s[j].Start
				break
			}
		}
		if end-s[i].Start > best {
			best = end - s[i].Start
		}
	}
	return best
}

var _ = Describe("maxOutage on random sample sequences", func() {
	It("equals a brute-force computation, in every window", func() {
		rng := rand.New(rand.NewSource(GinkgoRandomSeed()))
		for trial := 0; trial < 500; trial++ {
			n := rng.Intn(300)
			failProb := rng.Float64()
			var s []measure.Sample
			t := time.Duration(0)
			for i := 0; i < n; i++ {
				t += time.Duration(rng.Intn(50)) * ms // equal Starts happen too
				s = append(s, measure.Sample{Start: t, OK: rng.Float64() >= failProb})
			}
			end := t + time.Duration(rng.Intn(100))*ms
			from := time.Duration(rng.Int63n(int64(end) + 1))
			to := from + time.Duration(rng.Int63n(int64(end-from)+1))
			tl := verify.Timeline{End: end, Samples: map[string][]measure.Sample{"p": s},
				Steps: map[string]verify.StepTimes{"x": {Injected: true, Inject: from, Reverted: true, Revert: to}}}

			vs := verify.Evaluate(exp([]string{"x"},
				experiments.Verify{Probe: "p", MaxOutage: dur(time.Hour)},
				experiments.Verify{Probe: "p", MaxOutage: dur(time.Hour), During: "x"},
			), tl)
			for k, w := range []verify.Phase{{From: 0, To: end}, {From: from, To: to}} {
				want := bruteMaxOutage(s, w)
				if len(verify.InWindow(s, w)) == 0 {
					Expect(vs[k].Detail).To(Equal(verify.DetailNoSamples))
					continue
				}
				Expect(vs[k].Value).To(Equal(want.Seconds()), "trial %d window %v", trial, w)
				total := 0
				for _, o := range verify.Outages(s, w) {
					Expect(o.Duration()).To(BeNumerically("<=", want))
					total += o.Samples
				}
				failed := 0
				for _, x := range verify.InWindow(s, w) {
					if !x.OK {
						failed++
					}
				}
				Expect(total).To(Equal(failed), "every failed sample belongs to one outage")
			}
		}
	})
})

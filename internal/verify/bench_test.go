package verify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/verify"
)

// hourOfSamples: one probe sampled every 1ms for an hour, failing 1 in 16
// checks at random and continuously for 2.5s after the fault at 1800s.
func hourOfSamples() []measure.Sample {
	const n = 3_600_000
	s := make([]measure.Sample, n)
	seed := uint64(1)
	for i := range s {
		seed = seed*6364136223846793005 + 1442695040888963407
		s[i] = measure.Sample{
			Start:   time.Duration(i) * time.Millisecond,
			OK:      !(i >= 1_800_000 && i < 1_802_500) && seed>>60 != 0,
			Value:   200,
			Latency: time.Duration(200+seed>>50%800) * time.Microsecond,
		}
	}
	return s
}

// BenchmarkEvaluate judges four assertions (availability, maxOutage,
// latency p99, reaches) over the whole run; the hour is 3.6M samples. The
// ns/sample figure staying flat from 6 minutes to an hour shows linear time.
func BenchmarkEvaluate(b *testing.B) {
	all := hourOfSamples()
	e := exp([]string{"cut"},
		experiments.Verify{Probe: "web", Availability: ">= 90%"},
		experiments.Verify{Probe: "web", MaxOutage: dur(3 * time.Second)},
		experiments.Verify{Probe: "web", Latency: &experiments.Latency{"p99": "< 1s"}},
		experiments.Verify{Probe: "web", Reaches: "ok", Within: dur(5 * time.Second), After: "cut"},
	)
	for _, span := range []time.Duration{6 * time.Minute, time.Hour} {
		n := int(span / time.Millisecond)
		tl := verify.Timeline{
			MethodStart: 10 * time.Second, MethodEnd: span - 10*time.Second, End: span,
			Steps:   map[string]verify.StepTimes{"cut": {Injected: true, Inject: span / 2, Reverted: true, Revert: span/2 + 30*time.Second}},
			Samples: map[string][]measure.Sample{"web": all[:n]},
		}
		b.Run(fmt.Sprintf("samples=%d", n), func(b *testing.B) {
			if vs := verify.Evaluate(e, tl); !verify.Passed(vs) {
				b.Fatalf("the benchmark timeline should pass: %+v", vs)
			}
			b.ReportAllocs()
			for b.Loop() {
				verify.Evaluate(e, tl)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/sample")
		})
	}
}

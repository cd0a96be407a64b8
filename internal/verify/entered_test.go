package verify_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/verify"
)

var _ = Describe("entered: how many times a probe's value entered a condition", func() {
	// A chassis power probe: on, off (with an unreachable read in the
	// middle of the off run), on again, one sample a second.
	power := func(values ...float64) []measure.Sample {
		out := make([]measure.Sample, len(values))
		for i, v := range values {
			out[i] = measure.Sample{Start: time.Duration(i) * time.Second, OK: v >= 0, Value: max(v, 0)}
		}
		return out
	}
	tl := func(s []measure.Sample) verify.Timeline {
		return verify.Timeline{End: 20 * time.Second, Samples: map[string][]measure.Sample{"hv-a": s}}
	}
	once := exp(nil, experiments.Verify{Probe: "hv-a", Entered: "== 0", Times: "== 1"})

	It("counts one power-off, an unreachable read inside it breaking nothing", func() {
		v := one(once, tl(power(1, 1, 0, 0, -1, 0, 1, 1)))
		Expect(v.Passed).To(BeTrue(), v.Detail)
		Expect(v.Kind).To(Equal(verify.KindEntered))
		Expect(v.Measured).To(Equal("1"))
		Expect(v.Detail).To(Equal("entered at 2.000s"))
		Expect(v.Name).To(Equal("hv-a entered == 0"))
		Expect(v.Bound).To(Equal("entered == 0 times == 1"))
	})

	It("fails a host powered off twice, saying when", func() {
		v := one(once, tl(power(1, 0, 1, 1, 0, 0, 1)))
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("2"))
		Expect(v.Detail).To(Equal("entered at 1.000s, 4.000s"))
	})

	It("fails a host never powered off", func() {
		v := one(once, tl(power(1, 1, -1, 1)))
		Expect(v.Passed).To(BeFalse())
		Expect(v.Measured).To(Equal("0"))
		Expect(v.Detail).To(Equal("never entered == 0 in 3 ok samples"))
	})

	It("is refused at load without times, and with a bound that is no plain comparison", func() {
		_, err := experiments.Parse("e.yaml", []byte(`version: 1
name: e
probes:
  p: {http: {url: "http://198.18.0.1/"}}
steps:
  - {name: s, fault: link.down, with: {link: x}}
verify:
  - {probe: p, entered: "== 0"}
  - {probe: p, entered: "== 0", times: "1 time"}
`))
		Expect(err).To(MatchError(ContainSubstring("verify[0].entered: missing times")))
		Expect(err).To(MatchError(ContainSubstring("verify[1].times: want a comparison")))
	})
})

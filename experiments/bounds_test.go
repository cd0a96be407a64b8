package experiments_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
)

var _ = Describe("bounds parsed once", func() {
	const file = head + "steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\n" +
		"verify:\n  - {probe: web, availability: \">= 99.5%\"}\n" +
		"  - {probe: web, reaches: \">= 2\", within: 5s, after: a}\n" +
		"  - {probe: web, latency: {p99: \"< 200ms\"}}\n" +
		"abortWhen:\n  - {probe: web, availabilityBelow: \"90%\"}\n"

	expectParsed := func(e *experiments.Experiment) {
		c, err := e.Verify[0].AvailabilityBound()
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(experiments.Comparison{Op: ">=", Value: 99.5, Unit: "%", Text: ">= 99.5%"}))
		c, err = e.Verify[1].ReachesBound()
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Holds(2)).To(BeTrue())
		c, err = e.Verify[2].LatencyBound("p99")
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(experiments.Comparison{Op: "<", Value: 0.2, Unit: "s", Text: "< 200ms"}))
		p, err := e.AbortWhen[0].BelowPercent()
		Expect(err).NotTo(HaveOccurred())
		Expect(p).To(Equal(90.0))
	}

	It("holds the parsed bounds from load on, not the text as it is later", func() {
		e, err := experiments.Parse("x.yaml", []byte(file))
		Expect(err).NotTo(HaveOccurred())
		// Text changed after load is not parsed again: the bound is the loaded one.
		e.Verify[0].Availability = "garbage"
		(*e.Verify[2].Latency)["p99"] = "garbage"
		e.AbortWhen[0].AvailabilityBelow = "garbage"
		expectParsed(e)
	})

	It("parses them as a journal's copy is read back from JSON", func() {
		e, err := experiments.Parse("x.yaml", []byte(file))
		Expect(err).NotTo(HaveOccurred())
		b, err := json.Marshal(e)
		Expect(err).NotTo(HaveOccurred())
		var back experiments.Experiment
		Expect(json.Unmarshal(b, &back)).To(Succeed())
		expectParsed(&back)
	})

	It("parses a value built in code when asked, with the unit checked", func() {
		v := experiments.Verify{Probe: "web", Availability: ">= 2s"}
		_, err := v.AvailabilityBound()
		Expect(err).To(MatchError(ContainSubstring("is not a percentage")))
		l := experiments.Latency{"p50": "< 5"}
		v = experiments.Verify{Probe: "web", Latency: &l}
		_, err = v.LatencyBound("p50")
		Expect(err).To(MatchError(ContainSubstring("is not a duration")))
	})
})

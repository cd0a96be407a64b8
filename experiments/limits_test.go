package experiments_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
)

var _ = Describe("limits of numbers, durations and content", func() {
	DescribeTable("refused at their line and column",
		expectOnly,
		Entry("NaN percentage", head+"verify:\n  - {probe: web, availability: \">= NaN%\"}\n",
			want{"\">= NaN", "verify[0].availability", "bad percentage"}),
		Entry("Inf bound", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, reaches: \"< Inf\", within: 5s, after: a}\n",
			want{"\"< Inf", "verify[0].reaches", "not a finite number"}),
		Entry("NaN abort percentage", head+"verify:\n  - {probe: web, maxOutage: 1s}\nabortWhen:\n  - {probe: web, availabilityBelow: \"NaN%\"}\n",
			want{"\"NaN%", "abortWhen[0].availabilityBelow", "bad percentage"}),
		Entry("2,000,000 hours", head+"verify:\n  - {probe: web, maxOutage: 1s}\nobserve: 2000000h\n",
			want{"2000000h", "observe", "longer than the 30 days (720h)"}),
		Entry("a day over 30", head+"verify:\n  - {probe: web, maxOutage: 1s}\nobserve: 721h\n",
			want{"721h", "observe", "longer than the 30 days"}),
		Entry("an absurd bound", head+"verify:\n  - {probe: web, maxOutage: 2000000h}\n",
			want{"2000000h", "verify[0].maxOutage", "longer than the 30 days"}),
		Entry("nothing to run and nothing to check", head,
			want{"", "steps", "nothing to run and nothing to check"}),
	)

	It("accepts 30 days exactly, and an experiment that only verifies", func() {
		_, err := experiments.Parse("x.yaml", []byte(head+"verify:\n  - {probe: web, maxOutage: 1s}\nobserve: 720h\n"))
		Expect(err).NotTo(HaveOccurred())
	})
})

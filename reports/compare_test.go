package reports_test

import (
	"bytes"
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/reports"
)

func scenarioReport(slow float64) *reports.Report {
	run, err := journal.ReadFile(scenario{slow: slow}.write(GinkgoT().TempDir()))
	Expect(err).NotTo(HaveOccurred())
	return reports.Build(run)
}

var _ = Describe("baseline comparison", func() {
	var cmp *reports.Comparison
	BeforeEach(func() {
		// The baseline's web outage lasted 1.1s, this run's 2.2s.
		cmp = reports.Compare(scenarioReport(0.5), scenarioReport(1))
	})

	row := func(name string) reports.CompareRow {
		for _, r := range cmp.Rows {
			if r.Name == name {
				return r
			}
		}
		Fail("no row " + name)
		return reports.CompareRow{}
	}

	It("puts each measured value next to the baseline's, with the change and which way it went", func() {
		r := row("web maxOutage")
		Expect(r.Baseline.Value).To(BeNumerically("~", 1.1, 1e-9))
		Expect(r.Current.Value).To(BeNumerically("~", 2.2, 1e-9))
		Expect(*r.Change).To(BeNumerically("~", 1.1, 1e-9))
		Expect(r.Trend).To(Equal(reports.TrendWorse))
		Expect(row("web availability during axe-a").Trend).To(Equal(reports.TrendWorse))
		// Unchanged values, and jitter below the noise floor, read "same".
		Expect(row("db maxOutage").Trend).To(Equal(reports.TrendSame))
		Expect(row("replicas reaches >= 2 after axe-a").Trend).To(Equal(reports.TrendSame))
		Expect(row("step remap-to-c took").Trend).To(Equal(reports.TrendSame))
		Expect(cmp.Better).To(Equal(0))
	})

	It("reads the other way round as better", func() {
		back := reports.Compare(scenarioReport(1), scenarioReport(0.5))
		Expect(back.Worse).To(Equal(0))
		Expect(back.Better).To(Equal(cmp.Worse))
	})

	It("calls a bound that broke worse even when its number barely moved", func() {
		cur := scenarioReport(1)
		base := scenarioReport(1)
		for i := range base.Verdicts {
			if base.Verdicts[i].Name == "db maxOutage" {
				base.Verdicts[i].Passed = true
			}
		}
		c := reports.Compare(base, cur)
		for _, r := range c.Rows {
			if r.Name == "db maxOutage" {
				Expect(r.Trend).To(Equal(reports.TrendWorse))
			}
		}
		Expect(c.Worse).To(Equal(1))
	})

	It("renders Markdown as the golden file", func() {
		var b bytes.Buffer
		Expect(reports.WriteCompareMarkdown(&b, cmp)).To(Succeed())
		golden("compare.golden.md", b.Bytes())
	})

	It("renders JSON that a script can read", func() {
		var b bytes.Buffer
		Expect(reports.WriteCompareJSON(&b, cmp)).To(Succeed())
		var back reports.Comparison
		Expect(json.Unmarshal(b.Bytes(), &back)).To(Succeed())
		Expect(back.Rows).To(HaveLen(len(cmp.Rows)))
		Expect(back.Worse).To(Equal(cmp.Worse))
	})
})

var _ = Describe("text timeline", func() {
	It("renders the scenario as the golden file: steps, actions and each outage with its duration", func() {
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, scenarioReport(1))).To(Succeed())
		golden("scenario.golden.md", b.Bytes())
	})

	It("lists the longest outages only and counts the rest", func() {
		rep := &reports.Report{End: 100}
		p := reports.Probe{Name: "web", OutageCount: 40, MaxOutage: 3}
		for i := 0; i < 40; i++ {
			sec := 0.001
			if i == 17 {
				sec = 3
			}
			p.Outages = append(p.Outages, reports.Span{From: float64(i), To: float64(i) + sec, Seconds: sec, Samples: 1})
		}
		rep.Probes = []reports.Probe{p}
		tl := reports.TextTimeline(rep)
		Expect(strings.Count(tl, "DOWN")).To(Equal(12))
		Expect(tl).To(ContainSubstring("T+17.000s  web              DOWN   3.000s, until T+20.000s (1 failed sample)"))
		Expect(tl).To(ContainSubstring("web              28 shorter outages not listed (40 in all, longest 3.000s)"))
	})
})

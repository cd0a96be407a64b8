package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
)

const reportExp = `version: 1
name: report-cli
probes:
  web:
    http: {url: "http://198.18.100.2/"}
    every: 10ms
steps:
  - name: cut
    fault: link.down
    with: {netns: fl-x, link: eth0}
    at: 1s
    duration: 1s
verify:
  - {probe: web, maxOutage: 1500ms}
`

// cliJournal writes a journal whose web outage lasts down seconds.
func cliJournal(dir string, down time.Duration) string {
	exp, err := experiments.Parse("report-cli.yaml", []byte(reportExp))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, fmt.Sprintf("j-%d.jsonl", down.Milliseconds()))
	w, err := journal.Create(p)
	Expect(err).NotTo(HaveOccurred())
	Expect(w.Header(journal.Header{Run: "run-" + down.String(), Experiment: exp, Wall: time.Now()})).To(Succeed())
	ms := time.Millisecond
	Expect(w.Phase(journal.PhaseMethod, 0)).To(Succeed())
	Expect(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvInjected, At: time.Second})).To(Succeed())
	Expect(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvReverted, At: 2 * time.Second, By: "run"})).To(Succeed())
	for at := time.Duration(0); at < 4*time.Second; at += 10 * ms {
		ok := at < time.Second || at >= time.Second+down
		w.Sample("web", probes.Sample{Start: at, OK: ok, Value: 200, Latency: ms})
	}
	Expect(w.Phase(journal.PhaseEnd, 4*time.Second)).To(Succeed())
	Expect(w.End(4*time.Second, journal.StatusPassed, 0, "")).To(Succeed())
	return p
}

var _ = Describe("faultline report", func() {
	It("renders HTML with flags after the journal", func() {
		j := cliJournal(GinkgoT().TempDir(), time.Second)
		out, code := faultline("report", j, "--format", "html")
		Expect(code).To(Equal(0), out)
		Expect(out).To(HavePrefix("<!DOCTYPE html>"))
		Expect(out).To(ContainSubstring(`<rect id="step-window-0" class="step-window fault" data-step="cut"`))
		Expect(out).To(MatchRegexp(`<rect class="outage" data-probe="web" data-from="1" data-to="2" data-seconds="1" `))
	})

	It("compares with a baseline: the slower recovery reads worse, in JSON and Markdown", func() {
		dir := GinkgoT().TempDir()
		base, cur := cliJournal(dir, 500*time.Millisecond), cliJournal(dir, 1200*time.Millisecond)
		out, code := faultline("report", "--format", "json", "--baseline", base, cur)
		Expect(code).To(Equal(0), out)
		var cmp struct {
			Baseline string
			Worse    int
			Rows     []struct {
				Name     string
				Baseline struct{ Value float64 }
				Current  struct{ Value float64 }
				Change   float64
				Trend    string
			}
		}
		Expect(json.Unmarshal([]byte(out), &cmp)).To(Succeed())
		Expect(cmp.Baseline).To(Equal("run-500ms"))
		Expect(cmp.Worse).To(BeNumerically(">=", 1))
		found := false
		for _, r := range cmp.Rows {
			if r.Name == "web maxOutage" {
				found = true
				Expect(r.Baseline.Value).To(BeNumerically("~", 0.5, 1e-9))
				Expect(r.Current.Value).To(BeNumerically("~", 1.2, 1e-9))
				Expect(r.Change).To(BeNumerically("~", 0.7, 1e-9))
				Expect(r.Trend).To(Equal("worse"))
			}
		}
		Expect(found).To(BeTrue())

		md, code := faultline("report", cur, "--baseline", base)
		Expect(code).To(Equal(0), md)
		Expect(md).To(ContainSubstring("### Compared with baseline `run-500ms`"))
		Expect(md).To(ContainSubstring("| web maxOutage | `1.5s` | 0.500s | 1.200s | +0.700s (+140%) | 🔺 worse |"))
	})

	It("refuses an unknown format and a baseline with JUnit, exit 2", func() {
		j := cliJournal(GinkgoT().TempDir(), time.Second)
		_, code := faultline("report", j, "--format", "pdf")
		Expect(code).To(Equal(2))
		_, code = faultline("report", j, "--format", "junit", "--baseline", j)
		Expect(code).To(Equal(2))
	})

	Context("after a real run", Serial, func() {
		It("writes report.html next to the other reports, with the cut shaded and the outage marked", func() {
			prefix := miniTopology()
			dir := GinkgoT().TempDir()
			exp := writeFile(dir, "cut.yaml", fmt.Sprintf(cutTemplate, prefix, "3s"))
			out, code := faultline("run", "--no-progress", "--out", filepath.Join(dir, "run"), exp)
			Expect(code).To(Equal(0), out)
			page, err := os.ReadFile(filepath.Join(dir, "run", "report.html"))
			Expect(err).NotTo(HaveOccurred())
			s := string(page)
			Expect(s).To(ContainSubstring(`class="step-window fault" data-step="cut"`))
			m := regexp.MustCompile(`<rect class="outage" data-probe="web" [^>]*data-seconds="([0-9.]+)"`).FindStringSubmatch(s)
			Expect(m).NotTo(BeNil(), "no outage marked")
			Expect(m[1]).To(HavePrefix("2.")) // the 2s cut, to the probe's resolution
			md, err := os.ReadFile(filepath.Join(dir, "run", "summary.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.Contains(string(md), "web              DOWN   2.")).To(BeTrue(), string(md))
		})
	})
})

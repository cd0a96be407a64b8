package reports_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/reports"
)

const hostsYAML = `version: 1
name: on-hosts
hosts:
  client: {address: 198.19.0.9}
probes:
  web: {tcp: {address: "198.18.100.2:80"}, every: 10ms, on: client}
  local: {tcp: {address: "198.18.100.2:80"}, every: 10ms}
steps:
  - {name: cut, fault: golden.fault, duration: 100ms}
`

var _ = Describe("a run with a remote host", func() {
	It("states the host's clock error in report.json, the summary and the page", func() {
		exp, err := experiments.Parse("hosts.yaml", []byte(hostsYAML))
		Expect(err).NotTo(HaveOccurred())
		p := filepath.Join(GinkgoT().TempDir(), "journal.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(journal.Header{Run: "r-hosts", File: "hosts.yaml", Experiment: exp, Wall: time.Now()})).To(Succeed())
		Expect(w.Phase(journal.PhaseMethod, 0)).To(Succeed())
		w.Sample("web", probes.Sample{Start: time.Millisecond, OK: true, Value: 1})
		Expect(w.Record(journal.HostRec{T: "host", Host: "client", Addr: "198.19.0.9:22", ClockError: 60 * time.Microsecond,
			ClockWorst: 120 * time.Microsecond, Offset: -2 * time.Second, RTT: 120 * time.Microsecond, Samples: 64}, false)).To(Succeed())
		Expect(w.Phase(journal.PhaseEnd, time.Second)).To(Succeed())
		Expect(w.End(time.Second, journal.StatusPassed, 0, "")).To(Succeed())
		run, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		rep := reports.Build(run)

		var b bytes.Buffer
		Expect(json.NewEncoder(&b).Encode(rep)).To(Succeed())
		var doc struct {
			Hosts []map[string]any `json:"hosts"`
		}
		Expect(json.Unmarshal(b.Bytes(), &doc)).To(Succeed())
		Expect(doc.Hosts).To(HaveLen(1))
		// The bound is the worst estimate a stamp was mapped with.
		Expect(doc.Hosts[0]).To(HaveKeyWithValue("name", "client"))
		Expect(doc.Hosts[0]).To(HaveKeyWithValue("clockError", BeNumerically("~", 120e-6, 1e-12)))
		Expect(doc.Hosts[0]).To(HaveKeyWithValue("clockOffset", BeNumerically("~", -2.0, 1e-12)))
		Expect(doc.Hosts[0]).To(HaveKeyWithValue("probes", ConsistOf("web")))

		b.Reset()
		Expect(reports.WriteMarkdown(&b, rep)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("### Hosts"))
		Expect(b.String()).To(ContainSubstring("| client | 198.19.0.9:22 | ±0.120 ms | web |"))

		b.Reset()
		Expect(reports.WriteHTML(&b, rep, reports.HTMLOptions{})).To(Succeed())
		Expect(b.String()).To(ContainSubstring(`<section id="hosts">`))
		Expect(b.String()).To(ContainSubstring("±0.120 ms"))
	})

	It("has no hosts section for a run on this machine only", func() {
		run, err := journal.ReadFile(goldenJournal(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		rep := reports.Build(run)
		Expect(rep.Hosts).To(BeEmpty())
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, rep)).To(Succeed())
		Expect(b.String()).NotTo(ContainSubstring("### Hosts"))
	})
})

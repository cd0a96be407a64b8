package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/reports"
)

const expYAML = `version: 1
name: golden
description: A 2 s cut, probed every 10 ms.
labels: {team: platform}
probes:
  web:
    http: {url: "http://198.18.100.2/"}
    every: 10ms
steadyState:
  - {probe: web, for: 500ms}
steps:
  - name: cut
    fault: golden.fault
    at: 1s
    duration: 2s
observe: 1s
verify:
  - {probe: web, maxOutage: 1s}
  - {probe: web, availability: ">= 50%", during: cut}
  - {probe: web, reaches: ok, within: 100ms, after: cut.end}
  - {probe: web, never: ok, during: cut}
`

func init() {
	faults.Register(faults.Kind{Name: "golden.fault", NewFault: func(json.RawMessage) (faults.Fault, error) { return nil, nil },
		Revert: func(context.Context, json.RawMessage) error { return nil }})
}

// goldenJournal writes a deterministic journal: steady state from 0 to 0.6s,
// method at 0.6s, a cut from 1.6s to 3.6s with the probe down from 1.605s
// to 3.615s, observe until 4.6s, steady state after until 5.2s.
func goldenJournal(dir string) string {
	exp, err := experiments.Parse("golden.yaml", []byte(expYAML))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, "journal.jsonl")
	w, err := journal.Create(p)
	Expect(err).NotTo(HaveOccurred())
	ms := time.Millisecond
	Expect(w.Header(journal.Header{Run: "golden-run", File: "golden.yaml", Experiment: exp,
		Wall: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Host: "lab", Version: "test"})).To(Succeed())
	w.SetInterval("web", 10*ms)
	Expect(w.Phase(journal.PhaseSteadyBefore, 0)).To(Succeed())
	undo := faults.Undo{Kind: "golden.fault", Params: []byte(`{}`)}
	for i := 0; i <= 520; i++ {
		at := time.Duration(i) * 10 * ms
		switch at {
		case 600 * ms:
			Expect(w.Phase(journal.PhaseMethod, at)).To(Succeed())
			Expect(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvPrepared, At: at, Kind: "golden.fault",
				Desc: "golden fault", Targets: []faults.Target{{Kind: "link", ID: "netns:x/eth0"}}, Undo: &undo, Revert: "auto"})).To(Succeed())
		case 1600 * ms:
			Expect(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvInjected, At: at})).To(Succeed())
		case 3600 * ms:
			Expect(w.Step(journal.StepRec{Step: "cut", Ev: journal.EvReverted, At: at, By: "run"})).To(Succeed())
		case 4600 * ms:
			Expect(w.Phase(journal.PhaseMethodEnd, at)).To(Succeed())
			Expect(w.Phase(journal.PhaseSteadyAfter, at)).To(Succeed())
		}
		start := at + 5*ms
		ok := start < 1605*ms || start >= 3615*ms
		s := probes.Sample{Start: start, OK: ok, Value: 200, Latency: 2 * ms}
		if !ok {
			s.Value, s.Latency, s.Detail = 0, 10*ms, "timeout after 10ms"
		}
		w.Sample("web", s)
	}
	Expect(w.Phase(journal.PhaseEnd, 5210*ms)).To(Succeed())
	Expect(w.End(5210*ms, journal.StatusFailed, 1, "")).To(Succeed())
	return p
}

func golden(name string, got []byte) {
	p := filepath.Join("testdata", name)
	if *update {
		Expect(os.WriteFile(p, got, 0o644)).To(Succeed())
	}
	want, err := os.ReadFile(p)
	Expect(err).NotTo(HaveOccurred(), "missing golden file; run go test ./reports -update")
	Expect(string(got)).To(Equal(string(want)))
}

var _ = Describe("reports", func() {
	var rep *reports.Report
	BeforeEach(func() {
		run, err := journal.ReadFile(goldenJournal(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		rep = reports.Build(run)
	})

	It("measures the outage and fails the 1s bound with the measured value", func() {
		Expect(rep.Status).To(Equal(journal.StatusFailed))
		Expect(rep.Exit).To(Equal(1))
		Expect(rep.Probes).To(HaveLen(1))
		Expect(rep.Probes[0].MaxOutage).To(BeNumerically("~", 2.010, 0.0001))
		found := false
		for _, v := range rep.Verdicts {
			if v.Kind == "maxOutage" {
				found = true
				Expect(v.Passed).To(BeFalse())
				Expect(v.Measured).To(Equal("2.010s"))
			}
		}
		Expect(found).To(BeTrue())
		Expect(rep.Steps[0].At).To(BeNumerically("~", 1.0, 1e-9))
		Expect(rep.Steps[0].End).To(BeNumerically("~", 3.0, 1e-9))
	})

	It("renders Markdown as the golden file", func() {
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, rep)).To(Succeed())
		golden("summary.golden.md", b.Bytes())
	})

	It("renders JUnit as the golden file, valid against the Jenkins JUnit schema's rules", func() {
		var b bytes.Buffer
		Expect(reports.WriteJUnit(&b, "faultline", rep)).To(Succeed())
		golden("junit.golden.xml", b.Bytes())
		Expect(validateJUnit(b.Bytes())).To(Succeed())
		s := b.String()
		Expect(s).To(ContainSubstring(`<failure message="measured 2.010s, bound 1s`))
		Expect(s).To(ContainSubstring(`tests="6" failures="2" errors="0"`))
	})
})

// validateJUnit checks the structure the Jenkins JUnit schema (junit-10.xsd)
// requires: element nesting, required attributes and the time pattern.
func validateJUnit(data []byte) error {
	timeRe := regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)
	children := map[string][]string{
		"testsuites": {"testsuite"},
		"testsuite":  {"testsuite", "properties", "testcase", "system-out", "system-err"},
		"properties": {"property"},
		"testcase":   {"skipped", "error", "failure", "system-out", "system-err"},
		"failure":    {}, "error": {}, "skipped": {}, "property": {}, "system-out": {}, "system-err": {},
	}
	required := map[string][]string{
		"testsuite": {"name", "tests", "failures", "errors"},
		"testcase":  {"name"},
		"property":  {"name", "value"},
	}
	timed := map[string]bool{"testsuite": true, "testsuites": true}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if len(stack) == 0 && name != "testsuites" && name != "testsuite" {
				return fmt.Errorf("root element %s", name)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				allowed, known := children[parent]
				if !known || !contains(allowed, name) {
					return fmt.Errorf("%s not allowed in %s", name, parent)
				}
			}
			attrs := map[string]string{}
			for _, a := range t.Attr {
				attrs[a.Name.Local] = a.Value
			}
			for _, r := range required[name] {
				if _, ok := attrs[r]; !ok {
					return fmt.Errorf("%s lacks required attribute %s", name, r)
				}
			}
			if v, ok := attrs["time"]; ok && timed[name] && !timeRe.MatchString(v) {
				return fmt.Errorf("%s time %q does not match the schema's pattern", name, v)
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && len(children[stack[len(stack)-1]]) > 0 && strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("text inside %s", stack[len(stack)-1])
			}
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

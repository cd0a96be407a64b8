package reports_test

import (
	"bytes"
	"image/png"
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

// recoveryYAML: hv-a is axed; the VIP fails over in time, the remap runs,
// redundancy comes back late, the service answers soon after the revert,
// the database never comes back and one probe never sampled.
const recoveryYAML = `version: 1
name: recovery
probes:
  vip:
    http: {url: "http://198.18.10.100/", timeout: 50ms}
    every: 100ms
  replicas:
    libvirt: {uris: ["test:///default"], domains: "web-*"}
    every: 500ms
  svc:
    http: {url: "http://198.18.10.101/", timeout: 50ms}
    every: 100ms
  db:
    tcp: {address: "198.18.10.100:5432", timeout: 50ms}
    every: 100ms
  ghost:
    tcp: {address: "198.18.10.102:22", timeout: 50ms}
    every: 100ms
steps:
  - name: axe-a
    fault: scenario.hv.destroy
    at: 1s
    duration: 8s
  - name: remap
    action: scenario.domain.start
    wait: 2s
observe: 4s
verify:
  - {probe: vip, maxOutage: 5s}
  - {probe: db, reaches: ok, within: 3s, after: axe-a}
  - {probe: replicas, reaches: ">= 2", within: 4s, after: axe-a}
  - {probe: svc, reaches: ok, within: 1s, after: axe-a.end}
  - {probe: vip, reaches: ok, within: 2s, after: axe-a}
  - {probe: ghost, reaches: ok, within: 1s, after: axe-a}
`

// recoveryJournal writes the run (offsets from the start of probing):
// method at 1s, axe-a 2s to 10s, remap 4s to 6.5s; vip down 2s to 3.2s,
// replicas 1 from 2s to 7s, svc down 2s to 10.3s, db down from 2s to the
// end at 14s, ghost never sampled.
func recoveryJournal(dir, yaml string) string {
	exp, err := experiments.Parse("recovery.yaml", []byte(yaml))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, "journal.jsonl")
	w, err := journal.Create(p)
	Expect(err).NotTo(HaveOccurred())
	Expect(w.Header(journal.Header{Run: "recovery-run", File: "recovery.yaml", Experiment: exp,
		Wall: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Host: "lab-host"})).To(Succeed())
	for _, n := range []string{"vip", "svc", "db"} {
		w.SetInterval(n, 100*ms)
	}
	w.SetInterval("replicas", 500*ms)
	Expect(w.Phase(journal.PhaseSteadyBefore, 0)).To(Succeed())
	undo := faults.Undo{Kind: "scenario.hv.destroy", Params: []byte(`{}`)}
	end := 14000 * ms
	for at := time.Duration(0); at <= end; at += 100 * ms {
		switch at {
		case 1000 * ms:
			Expect(w.Phase(journal.PhaseMethod, at)).To(Succeed())
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvPrepared, At: at, Kind: "scenario.hv.destroy",
				Desc: "destroy every domain on hv-a", Undo: &undo, Revert: "auto"})).To(Succeed())
		case 2000 * ms:
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvInjected, At: at})).To(Succeed())
		case 4000 * ms:
			Expect(w.Step(journal.StepRec{Step: "remap", Ev: journal.EvStarted, At: at, Kind: "scenario.domain.start", Desc: "start web-a on C"})).To(Succeed())
		case 6500 * ms:
			Expect(w.Step(journal.StepRec{Step: "remap", Ev: journal.EvDone, At: at})).To(Succeed())
		case 10000 * ms:
			Expect(w.Step(journal.StepRec{Step: "axe-a", Ev: journal.EvReverted, At: at, By: "run"})).To(Succeed())
		case 13000 * ms:
			Expect(w.Phase(journal.PhaseMethodEnd, at)).To(Succeed())
		}
		up := func(ok bool) probes.Sample {
			if ok {
				return probes.Sample{Start: at, OK: true, Value: 200, Latency: 2 * ms}
			}
			return probes.Sample{Start: at, Latency: 50 * ms, Detail: "timeout after 50ms"}
		}
		w.Sample("vip", up(at < 2000*ms || at >= 3200*ms))
		w.Sample("svc", up(at < 2000*ms || at >= 10300*ms))
		w.Sample("db", up(at < 2000*ms))
		if at%(500*ms) == 0 {
			v := 2.0
			if at >= 2000*ms && at < 7000*ms {
				v = 1
			}
			w.Sample("replicas", probes.Sample{Start: at, OK: true, Value: v, Latency: 5 * ms})
		}
	}
	Expect(w.Phase(journal.PhaseEnd, end)).To(Succeed())
	Expect(w.End(end, journal.StatusFailed, 1, "")).To(Succeed())
	return p
}

func recoveryReport(yaml string) *reports.Report {
	run, err := journal.ReadFile(recoveryJournal(GinkgoT().TempDir(), yaml))
	Expect(err).NotTo(HaveOccurred())
	return reports.Build(run)
}

// inOrder asserts that the texts occur in doc in this order.
func inOrder(doc string, texts ...string) {
	at := 0
	for _, t := range texts {
		i := strings.Index(doc[at:], t)
		Expect(i).To(BeNumerically(">=", 0), "%q not found after offset %d", t, at)
		at += i + len(t)
	}
}

var _ = Describe("recovery waterfall", func() {
	var rep *reports.Report
	BeforeEach(func() { rep = recoveryReport(recoveryYAML) })

	It("puts every reaches after the fault, and the action after it, in the order they recovered, from the fault's moment", func() {
		wfs := reports.Waterfalls(rep)
		Expect(wfs).To(HaveLen(1))
		w := wfs[0]
		Expect(w.Step).To(Equal("axe-a"))
		Expect(w.Ran).To(BeTrue())
		Expect(w.At).To(BeNumerically("~", 1.0, 1e-9))
		var labels, states []string
		for _, b := range w.Bars {
			labels = append(labels, b.Label)
			states = append(states, b.State)
		}
		Expect(labels).To(Equal([]string{"axe-a (scenario.hv.destroy)", "vip reaches ok", "remap (scenario.domain.start)",
			"replicas reaches >= 2", "svc reaches ok", "db reaches ok", "ghost reaches ok"}))
		Expect(states).To(Equal([]string{reports.BarFault, reports.BarPass, reports.BarAction, reports.BarLate,
			reports.BarPass, reports.BarUnreached, reports.BarUnmeasured}))
		type span struct{ from, to, bound float64 }
		want := []span{{0, 8, -1}, {0, 1.2, 2}, {2, 4.5, -1}, {0, 5, 4}, {8, 8.3, 9}, {0, 12, 3}}
		for i, s := range want {
			b := w.Bars[i]
			Expect(b.From).To(BeNumerically("~", s.from, 1e-9), b.Label)
			Expect(b.To).To(BeNumerically("~", s.to, 1e-9), b.Label)
			Expect(b.HasBound).To(Equal(s.bound >= 0), b.Label)
			if s.bound >= 0 {
				Expect(b.Bound).To(BeNumerically("~", s.bound, 1e-9), b.Label)
			}
		}
		Expect(w.Bars[4].After).To(Equal("axe-a.end"))
		Expect(w.Bars[6].Drawn()).To(BeFalse())
		Expect(w.Span).To(BeNumerically("~", 12, 1e-9))
		// The measured values are verify's, verbatim.
		byName := map[string]string{}
		for _, v := range rep.Verdicts {
			byName[v.Name] = v.Measured
		}
		for _, b := range w.Bars[1:] {
			if b.Verdict != "" {
				Expect(b.Measured).To(Equal(byName[b.Verdict]), b.Label)
			}
		}
		Expect(w.Bars[1].Measured).To(Equal("1.200s"))
		Expect(w.Bars[4].Measured).To(Equal("0.300s"))
		Expect(w.Bars[5].Measured).To(Equal("> 12.000s"))
	})

	It("writes a Recovery table in Markdown with bars scaled to the longest and the bound marked", func() {
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, rep)).To(Succeed())
		md := b.String()
		Expect(md).To(ContainSubstring("### Recovery"))
		inOrder(md, "### Verifications", "### Recovery", "**axe-a** (`scenario.hv.destroy`), injected at T+1.000s",
			"| fault | axe-a (scenario.hv.destroy) |", "| ✅ within 2s | vip reaches ok | axe-a | +0.000s → +1.200s | `ok within 2s` (+2.000s) | 1.200s |",
			"| action | remap (scenario.domain.start) |", "| ❌ LATE, bound 4s | replicas reaches &gt;= 2 | axe-a | +0.000s → +5.000s | `>= 2 within 4s` (+4.000s) | 5.000s",
			"| ✅ within 1s | svc reaches ok | axe-a.end | +8.000s → +8.300s |", "| ❌ NOT REACHED | db reaches ok |",
			"| ❌ NOT MEASURED | ghost reaches ok | axe-a | — |", "### Timeline")
		// 32 cells over 12s: 0.375s a cell. vip reached at 1.2s (cells 0-3),
		// its bound at 2s (cell 5); replicas at 5s (cells 0-13), bound 4s
		// (cell 10, inside the late bar); svc 8s to 8.3s (cells 21-22), bound 9s (cell 24); db never, bound 3s (cell 8).
		rows := map[string]string{}
		for _, l := range strings.Split(md, "\n") {
			if m := regexp.MustCompile("^\\| [^|]+ \\| ([a-z]+) reaches .*`([░█▒┃]+)` \\|$").FindStringSubmatch(l); m != nil {
				rows[m[1]] = m[2]
			}
		}
		Expect(rows["vip"]).To(Equal("████░┃" + strings.Repeat("░", 26)))
		Expect(rows["replicas"]).To(Equal("██████████┃███" + strings.Repeat("░", 18)))
		Expect(rows["svc"]).To(Equal(strings.Repeat("░", 21) + "██░┃" + strings.Repeat("░", 7)))
		Expect(rows["db"]).To(Equal(strings.Repeat("▒", 8) + "┃" + strings.Repeat("▒", 23)))
		Expect(rows["ghost"]).To(Equal(strings.Repeat("░", 32)))
	})

	It("draws an SVG per fault with a bar per row on one axis from the fault, a bound marker per bar and the outcome in words", func() {
		page := renderHTML(rep, reports.HTMLOptions{})
		inOrder(page, `id="verdicts"`, `<section id="recovery">`, "axe-a (scenario.hv.destroy), injected at T&#43;1.000s", `<svg class="wf" id="waterfall-0"`, `id="timeline-section"`)
		svg := regexp.MustCompile(`(?s)<svg class="wf" id="waterfall-0".*?</svg>`).FindString(page)
		Expect(svg).NotTo(BeEmpty())
		Expect(svg).NotTo(ContainSubstring("<script"))
		left := num(regexp.MustCompile(`data-left="([0-9.]+)"`).FindStringSubmatch(svg)[1])
		pps := num(regexp.MustCompile(`data-px-per-s="([0-9.]+)"`).FindStringSubmatch(svg)[1])
		Expect(num(regexp.MustCompile(`data-span="([0-9.]+)"`).FindStringSubmatch(svg)[1])).To(Equal(12.0))
		var bars []map[string]string
		for _, cls := range []string{"wf-bar fault", "wf-bar within", "wf-bar action", "wf-bar late", "wf-bar unreached"} {
			bars = append(bars, elements(svg, "rect", cls)...)
		}
		Expect(bars).To(HaveLen(6))
		var got []string
		for _, m := range regexp.MustCompile(`<rect class="wf-bar [^"]*"[^>]*data-label="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
			got = append(got, m[1])
		}
		Expect(got).To(Equal([]string{"axe-a (scenario.hv.destroy)", "vip reaches ok", "remap (scenario.domain.start)",
			"replicas reaches &gt;= 2", "svc reaches ok", "db reaches ok"}))
		for _, b := range bars {
			from, to := num(b["data-from"]), num(b["data-to"])
			Expect(num(b["x"])).To(BeNumerically("~", left+from*pps, 0.01), b["data-label"])
			Expect(num(b["width"])).To(BeNumerically("~", (to-from)*pps, 0.01), b["data-label"])
		}
		svcBar := elements(svg, "rect", "wf-bar within")[1]
		Expect(svcBar["data-label"]).To(Equal("svc reaches ok"))
		Expect(num(svcBar["x"])).To(BeNumerically("~", left+8*pps, 0.01), "an after-STEP.end bar starts at the revert")
		bounds := append(elements(svg, "line", "wf-bound met"), elements(svg, "line", "wf-bound missed")...)
		Expect(bounds).To(HaveLen(4))
		at := map[string]float64{}
		for _, l := range bounds {
			at[l["data-label"]] = num(l["x1"])
		}
		Expect(at).To(HaveKeyWithValue("vip reaches ok", BeNumerically("~", left+2*pps, 0.01)))
		Expect(at).To(HaveKeyWithValue("replicas reaches &gt;= 2", BeNumerically("~", left+4*pps, 0.01)))
		Expect(at).To(HaveKeyWithValue("svc reaches ok", BeNumerically("~", left+9*pps, 0.01)))
		Expect(at).To(HaveKeyWithValue("db reaches ok", BeNumerically("~", left+3*pps, 0.01)))
		Expect(elements(svg, "line", "wf-bound missed")).To(HaveLen(2))
		// Failures say so in words, not only in red.
		inOrder(svg, "✓ 1.200s — within 2s", "ran 2.500s", "✗ 5.000s — LATE, bound 4s", "✓ 0.300s — within 1s",
			"✗ NOT REACHED (&gt; 12.000s)", "not measured: no samples in window", "✗ NOT MEASURED")
		Expect(svg).To(ContainSubstring(`fill="url(#wf-hatch-0)"`))
	})

	It("shows no Recovery section for a run with no reaches verifications", func() {
		noReach := strings.Split(recoveryYAML, "  - {probe: db, reaches")[0]
		rep := recoveryReport(noReach)
		Expect(reports.Waterfalls(rep)).To(BeEmpty())
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, rep)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("### Verifications"))
		Expect(b.String()).NotTo(ContainSubstring("Recovery"))
		page := renderHTML(rep, reports.HTMLOptions{})
		Expect(page).To(ContainSubstring(`id="verdicts"`))
		Expect(page).NotTo(ContainSubstring(`id="recovery"`))
		Expect(page).NotTo(ContainSubstring(`class="wf"`))
	})
})

var _ = Describe("recovery waterfall in headless Chromium", Label("chromium"), func() {
	It("paints the bars: a page with the waterfall has a run of within-bound green and late red the same run without it lacks", func() {
		bin, why := chromium()
		if bin == "" {
			Skip("no headless browser to render the report in: " + why)
		}
		art := artifactsDir()
		shoot := func(name, yaml string) map[[3]uint8]int {
			page := filepath.Join(art, name+".html")
			Expect(os.WriteFile(page, []byte(renderHTML(recoveryReport(yaml), reports.HTMLOptions{})), 0o644)).To(Succeed())
			shot := filepath.Join(art, name+".png")
			_ = os.Remove(shot)
			_, stderr := headless(bin, page, "--screenshot="+shot, "--window-size=1400,1000")
			Expect(consoleProblems(stderr)).To(BeEmpty())
			f, err := os.Open(shot)
			Expect(err).NotTo(HaveOccurred(), "no screenshot written")
			defer f.Close()
			img, err := png.Decode(f)
			Expect(err).NotTo(HaveOccurred())
			return colours(img)
		}
		with := shoot("recovery", recoveryYAML)
		without := shoot("recovery-none", strings.Split(recoveryYAML, "  - {probe: db, reaches")[0])
		green, red := [3]uint8{0x1e, 0x8e, 0x3e}, [3]uint8{0xd9, 0x30, 0x25}
		// Two green bars (1.2s and 0.3s on 12s over ~620 px, 15 px high)
		// and one red late bar (5s), counted on every other pixel.
		Expect(with[green]-without[green]).To(BeNumerically(">", 60), "within-bound bars")
		Expect(with[red]-without[red]).To(BeNumerically(">", 300), "the late bar")
	})
})

// twoFaultsYAML: two cuts, a fix run during the second, and a third fault
// scheduled after the run ended (it never ran).
const twoFaultsYAML = `version: 1
name: two-faults
probes:
  web:
    http: {url: "http://198.18.10.100/", timeout: 50ms}
    every: 100ms
steps:
  - {name: cut-1, fault: scenario.hv.destroy, at: 1s, duration: 2s}
  - {name: cut-2, fault: scenario.hv.destroy, at: 5s, duration: 2s}
  - {name: fix, action: scenario.domain.start, at: 6s}
  - {name: late-cut, fault: scenario.hv.destroy, at: 20s}
verify:
  - {probe: web, reaches: ok, within: 1s, after: fix}
  - {probe: web, reaches: ok, within: 1s, after: cut-1.end}
  - {probe: web, reaches: ok, within: 3s, after: cut-2}
  - {probe: web, reaches: ok, within: 1s, after: late-cut}
`

var _ = Describe("recovery waterfall with several faults", func() {
	It("gives each fault its own waterfall; an action and a reaches after it go to the latest fault before it", func() {
		exp, err := experiments.Parse("two-faults.yaml", []byte(twoFaultsYAML))
		Expect(err).NotTo(HaveOccurred())
		p := filepath.Join(GinkgoT().TempDir(), "journal.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(journal.Header{Run: "two", Experiment: exp})).To(Succeed())
		w.SetInterval("web", 100*ms)
		Expect(w.Phase(journal.PhaseMethod, 0)).To(Succeed())
		step := func(name, ev string, at time.Duration) {
			Expect(w.Step(journal.StepRec{Step: name, Ev: ev, At: at})).To(Succeed())
		}
		for at := time.Duration(0); at <= 9000*ms; at += 100 * ms {
			switch at {
			case 1000 * ms:
				step("cut-1", journal.EvInjected, at)
			case 3000 * ms:
				step("cut-1", journal.EvReverted, at)
			case 5000 * ms:
				step("cut-2", journal.EvInjected, at)
			case 6000 * ms:
				step("fix", journal.EvStarted, at)
			case 6500 * ms:
				step("fix", journal.EvDone, at)
			case 7000 * ms:
				step("cut-2", journal.EvReverted, at)
			}
			down := (at >= 1000*ms && at < 3200*ms) || (at >= 5000*ms && at < 6800*ms)
			w.Sample("web", probes.Sample{Start: at, OK: !down})
		}
		Expect(w.Phase(journal.PhaseEnd, 9000*ms)).To(Succeed())
		Expect(w.End(9000*ms, journal.StatusPassed, 0, "")).To(Succeed())
		run, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		wfs := reports.Waterfalls(reports.Build(run))
		Expect(wfs).To(HaveLen(3))
		type row struct {
			label, after, state string
			from, to            float64
		}
		rows := func(w reports.Waterfall) []row {
			var out []row
			for _, b := range w.Bars {
				out = append(out, row{b.Label, b.After, b.State, float64(int(b.From*1000+0.5)) / 1000, float64(int(b.To*1000+0.5)) / 1000})
			}
			return out
		}
		Expect(wfs[0].Step).To(Equal("cut-1"))
		Expect(rows(wfs[0])).To(Equal([]row{{"cut-1 (scenario.hv.destroy)", "", reports.BarFault, 0, 2},
			{"web reaches ok", "cut-1.end", reports.BarPass, 2, 2.2}}))
		Expect(wfs[1].Step).To(Equal("cut-2"))
		Expect(rows(wfs[1])).To(Equal([]row{{"cut-2 (scenario.hv.destroy)", "", reports.BarFault, 0, 2},
			{"fix (scenario.domain.start)", "", reports.BarAction, 1, 1.5},
			{"web reaches ok", "cut-2", reports.BarPass, 0, 1.8},
			{"web reaches ok", "fix", reports.BarPass, 1, 1.8}}))
		Expect(wfs[2].Step).To(Equal("late-cut"))
		Expect(wfs[2].Ran).To(BeFalse())
		Expect(rows(wfs[2])).To(Equal([]row{{"web reaches ok", "late-cut", reports.BarUnmeasured, 0, 0}}))
		var b bytes.Buffer
		Expect(reports.WriteMarkdown(&b, reports.Build(run))).To(Succeed())
		inOrder(b.String(), "**cut-1**", "**cut-2**", "**late-cut** (`scenario.hv.destroy`) did not run", "| ❌ NOT MEASURED | web reaches ok | late-cut | — |")
	})
})

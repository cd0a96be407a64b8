package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/verify"
	"github.com/faultline/faultline/reports"
)

// artifactsDir is where rendered reports and screenshots are kept for CI.
func artifactsDir() string {
	d := os.Getenv("FAULTLINE_ARTIFACTS")
	if d == "" {
		d = "/tmp/faultline-artifacts"
	}
	d = filepath.Join(d, "reports")
	Expect(os.MkdirAll(d, 0o755)).To(Succeed())
	return d
}

func renderHTML(rep *reports.Report, opts reports.HTMLOptions) string {
	var b bytes.Buffer
	Expect(reports.WriteHTML(&b, rep, opts)).To(Succeed())
	return b.String()
}

var attrRe = regexp.MustCompile(`([a-z0-9-]+)="([^"]*)"`)

// elements returns the attributes of every element of the given tag and
// class in an SVG/HTML text (the report's own, regular output).
func elements(doc, tag, class string) []map[string]string {
	re := regexp.MustCompile(`<` + tag + ` [^>]*class="` + regexp.QuoteMeta(class) + `"[^>]*>`)
	var out []map[string]string
	for _, el := range re.FindAllString(doc, -1) {
		m := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(el, -1) {
			m[a[1]] = a[2]
		}
		out = append(out, m)
	}
	return out
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	Expect(err).NotTo(HaveOccurred(), "number %q", s)
	return v
}

// svgOf cuts the element with the given id out of a page.
func svgOf(doc, id string) string {
	i := strings.Index(doc, `<svg id="`+id+`"`)
	Expect(i).To(BeNumerically(">=", 0), "no svg #%s", id)
	j := strings.Index(doc[i:], "</svg>")
	return doc[i : i+j+len("</svg>")]
}

var _ = Describe("HTML report", func() {
	var (
		run *journal.Run
		rep *reports.Report
		doc string
	)
	BeforeEach(func() {
		var err error
		run, err = journal.ReadFile(scenario{slow: 1}.write(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		rep = reports.Build(run)
		doc = renderHTML(rep, reports.HTMLOptions{})
		Expect(os.WriteFile(filepath.Join(artifactsDir(), "scenario.html"), []byte(doc), 0o644)).To(Succeed())
	})

	It("is self-contained: nothing is fetched", func() {
		lower := strings.ToLower(doc)
		for _, bad := range []string{"<link", " src=", "@import", "url(", "<iframe", "fetch(", "xmlhttprequest"} {
			Expect(lower).NotTo(ContainSubstring(bad))
		}
		// The only URL is the SVG namespace name, which is never fetched.
		urls := regexp.MustCompile(`https?://[^"'\s<]+`).FindAllString(doc, -1)
		for _, u := range urls {
			Expect(u).To(Or(Equal("http://www.w3.org/2000/svg"), HavePrefix("http://198.18.")), "unexpected URL in the page")
		}
	})

	It("lists every verdict with bound, measured value and pass/fail", func() {
		Expect(rep.Verdicts).NotTo(BeEmpty())
		for _, v := range rep.Verdicts {
			row := regexp.MustCompile(`<tr class="(pass|fail)"><td>.*?</td><td>` + regexp.QuoteMeta(templateEscape(v.Name)) + `</td><td><code>` +
				regexp.QuoteMeta(templateEscape(v.Bound)) + `</code></td><td class="num">` + regexp.QuoteMeta(templateEscape(v.Measured)) + `</td>`).FindStringSubmatch(doc)
			Expect(row).NotTo(BeNil(), "no row for %s", v.Name)
			Expect(row[1] == "pass").To(Equal(v.Passed), v.Name)
		}
		Expect(doc).To(ContainSubstring(`id="failed"`))
		Expect(doc).To(ContainSubstring("db maxOutage"))
	})

	It("shades one labelled window per step, spanning its measured times", func() {
		tl := svgOf(doc, "timeline")
		wins := elements(tl, "rect", "step-window fault")
		Expect(wins).To(HaveLen(1))
		Expect(wins[0]["data-step"]).To(Equal("axe-a"))
		Expect(num(wins[0]["data-from"])).To(BeNumerically("~", 2.0, 1e-6))
		Expect(num(wins[0]["data-to"])).To(BeNumerically("~", 8.0, 1e-6))
		pps := num(regexp.MustCompile(`data-px-per-s="([0-9.]+)"`).FindStringSubmatch(tl)[1])
		Expect(num(wins[0]["width"])).To(BeNumerically("~", 6*pps, 0.02))
		acts := elements(tl, "rect", "step-window action")
		Expect(acts).To(HaveLen(1))
		Expect(num(acts[0]["data-to"]) - num(acts[0]["data-from"])).To(BeNumerically("~", 2.2, 1e-6))
		Expect(tl).To(ContainSubstring(`>axe-a (scenario.hv.destroy) 6.000s</text>`))
	})

	It("marks every outage verify finds, as wide as it lasted, and never narrower than visible", func() {
		tl := svgOf(doc, "timeline")
		pps := num(regexp.MustCompile(`data-px-per-s="([0-9.]+)"`).FindStringSubmatch(tl)[1])
		minPx := num(regexp.MustCompile(`data-min-outage-px="([0-9.]+)"`).FindStringSubmatch(tl)[1])
		marks := elements(tl, "rect", "outage")
		byProbe := map[string][]map[string]string{}
		for _, m := range marks {
			byProbe[m["data-probe"]] = append(byProbe[m["data-probe"]], m)
		}
		tlv := verify.TimelineOf(run)
		for _, p := range []string{"web", "db"} {
			want := verify.Outages(tlv.Samples[p], verify.Phase{From: 0, To: tlv.End})
			Expect(byProbe[p]).To(HaveLen(len(want)), p)
			for i, o := range want {
				m := byProbe[p][i]
				Expect(num(m["data-seconds"])).To(BeNumerically("~", o.Duration().Seconds(), 1e-6))
				Expect(num(m["width"])).To(BeNumerically("~", max(o.Duration().Seconds()*pps, minPx), 0.01))
			}
		}
		Expect(byProbe["web"]).To(HaveLen(4)) // the long one and three blips
		Expect(num(byProbe["web"][1]["width"])).To(Equal(minPx))
		Expect(tl).To(ContainSubstring(`<text class="outage-label"`))
		Expect(tl).To(ContainSubstring(">2.200s</text>"))
	})

	It("draws latency for HTTP/TCP probes and the replica count with its threshold and deadline", func() {
		Expect(svgOf(doc, "chart-web")).To(ContainSubstring(`<path class="latency" d="M`))
		Expect(svgOf(doc, "chart-db")).To(ContainSubstring(`<path class="latency" d="M`))
		rc := svgOf(doc, "chart-replicas")
		Expect(rc).To(ContainSubstring(`<path class="value" d="M`))
		th := elements(rc, "line", "threshold pass")
		Expect(th).To(HaveLen(1))
		Expect(rc).To(ContainSubstring("reaches &gt;= 2"))
		dl := elements(rc, "line", "deadline pass")
		Expect(dl).To(HaveLen(1))
		pps := num(regexp.MustCompile(`data-px-per-s="([0-9.]+)"`).FindStringSubmatch(rc)[1])
		left := num(regexp.MustCompile(`data-left="([0-9.]+)"`).FindStringSubmatch(rc)[1])
		// The deadline is within (5s) after axe-a's inject (3s of run time).
		Expect(num(dl[0]["x1"])).To(BeNumerically("~", left+8*pps, 0.01))
		Expect(rc).To(ContainSubstring("deadline T+7.000s"))
	})

	It("shows the plan and the environment", func() {
		for _, s := range []string{"hypervisor hv-a", "domain hv-c/web-a", "at 2s, for 6s", "wait 1s after the previous step",
			"kill-server-a-run", "lab-host", "1.2.3", "6.1.0-test", ">42<", "team=platform"} {
			Expect(doc).To(ContainSubstring(s))
		}
	})
})

// templateEscape is how html/template writes text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

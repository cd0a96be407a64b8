package reports_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/verify"
	"github.com/faultline/faultline/reports"
)

// Screenshot size: wide enough for the 1200-unit drawings, tall enough
// for the whole scenario page.
const shotW, shotH = 1400, 2400

// chromium finds Debian's chromium, installing it with apt-get when it is
// missing and we are root (the CI set-up installs it too:
// scripts/install-deps.sh). It returns "" with the reason when neither works.
func chromium() (string, string) {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, ""
	}
	if os.Geteuid() != 0 {
		return "", "chromium is not installed and installing it needs root"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", "chromium"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "chromium could not be installed: apt-get " + strings.Join(args, " ") + ": " + err.Error() + ": " + lastLines(string(out), 5)
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, ""
	}
	return "", "chromium is not on PATH after apt-get install chromium"
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " / ")
}

// headless runs chromium on a local file with a fresh profile and no
// network features, and returns stdout and stderr (console messages are
// logged to stderr as "CONSOLE" lines).
func headless(bin, page string, extra ...string) (string, string) {
	ud, err := os.MkdirTemp("", "fl-chromium-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, ud)
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + ud,
		"--enable-logging=stderr", "--v=0", "--hide-scrollbars"}, extra...)
	args = append(args, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	Expect(cmd.Run()).To(Succeed(), "chromium: %s", lastLines(stderr.String(), 10))
	return stdout.String(), stderr.String()
}

// consoleProblems lists the page's console messages and uncaught errors
// from chromium's log. The report logs nothing, so any is a problem.
func consoleProblems(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}

var _ = Describe("HTML report in headless Chromium", Ordered, Label("chromium"), func() {
	var (
		bin, page, art string
		run            *journal.Run
	)
	BeforeAll(func() {
		var why string
		bin, why = chromium()
		if bin == "" {
			Skip("no headless browser to render the report in: " + why)
		}
		var err error
		run, err = journal.ReadFile(scenario{slow: 1}.write(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		base, err := journal.ReadFile(scenario{slow: 0.5}.write(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		rep := reports.Build(run)
		art = artifactsDir()
		page = filepath.Join(art, "scenario-chromium.html")
		cmp := reports.Compare(reports.Build(base), rep)
		Expect(os.WriteFile(page, []byte(renderHTML(rep, reports.HTMLOptions{Baseline: cmp})), 0o644)).To(Succeed())
	})

	It("notices a page that throws (the console check can fail)", func() {
		bad := filepath.Join(GinkgoT().TempDir(), "bad.html")
		Expect(os.WriteFile(bad, []byte(`<html><body><script>throw new Error("boom")</script></body></html>`), 0o644)).To(Succeed())
		_, stderr := headless(bin, bad, "--dump-dom")
		Expect(consoleProblems(stderr)).NotTo(BeEmpty())
	})

	It("takes a screenshot of the expected size that shows the timeline", func() {
		shot := filepath.Join(art, "scenario.png")
		_ = os.Remove(shot)
		_, stderr := headless(bin, page, "--screenshot="+shot, "--window-size="+strconv.Itoa(shotW)+","+strconv.Itoa(shotH))
		Expect(consoleProblems(stderr)).To(BeEmpty())
		f, err := os.Open(shot)
		Expect(err).NotTo(HaveOccurred(), "no screenshot written")
		defer f.Close()
		img, err := png.Decode(f)
		Expect(err).NotTo(HaveOccurred())
		Expect(img.Bounds().Dx()).To(Equal(shotW))
		Expect(img.Bounds().Dy()).To(Equal(shotH))
		// Not blank: the verdict badge's red, the strips' green, the outage
		// marks' dark red and the fault window's amber are all painted.
		seen := colours(img)
		for name, c := range map[string][3]uint8{"failed badge": {0xd9, 0x30, 0x25}, "probe up": {0x81, 0xc9, 0x95}, "outage": {0xa5, 0x0e, 0x0e}} {
			Expect(seen[c]).To(BeNumerically(">", 50), "no %s pixels (%v) in the screenshot", name, c)
		}
		Expect(len(seen)).To(BeNumerically(">", 20))
	})

	It("loads without console errors, runs its script and draws a window per fault step and outages as wide as they lasted", func() {
		dom, stderr := headless(bin, page, "--dump-dom")
		Expect(consoleProblems(stderr)).To(BeEmpty())
		Expect(os.WriteFile(filepath.Join(art, "scenario-dom.html"), []byte(dom), 0o644)).To(Succeed())
		// The script ran: it marks the page and adds a cursor to every drawing.
		svgs := len(regexp.MustCompile(`<svg [^>]*class="tl`).FindAllString(dom, -1))
		Expect(svgs).To(Equal(4)) // the timeline and three probe charts
		Expect(dom).To(MatchRegexp(`<html lang="en" data-ready="%d"`, svgs))
		Expect(strings.Count(dom, `<line class="cursor"`)).To(Equal(svgs))

		tl := svgOf(dom, "timeline")
		wins := elements(tl, "rect", "step-window fault")
		Expect(wins).To(HaveLen(1))
		Expect(wins[0]["id"]).To(Equal("step-window-0"))
		Expect(wins[0]["data-step"]).To(Equal("axe-a"))

		pps := num(regexp.MustCompile(`data-px-per-s="([0-9.]+)"`).FindStringSubmatch(tl)[1])
		left := num(regexp.MustCompile(`data-left="([0-9.]+)"`).FindStringSubmatch(tl)[1])
		tlv := verify.TimelineOf(run)
		want := verify.Outages(tlv.Samples["web"], verify.Phase{From: 0, To: tlv.End})
		var marks []map[string]string
		for _, m := range elements(tl, "rect", "outage") {
			if m["data-probe"] == "web" {
				marks = append(marks, m)
			}
		}
		Expect(marks).To(HaveLen(len(want)))
		long := marks[0]
		Expect(want[0].Duration()).To(Equal(2200 * time.Millisecond))
		Expect(num(long["width"])).To(BeNumerically("~", 2.2*pps, 0.01), "outage width is its duration on the x scale")
		Expect(num(long["x"])).To(BeNumerically("~", left+want[0].From.Seconds()*pps, 0.01))
		Expect(dom).To(ContainSubstring(`id="baseline"`))
	})
})

// colours counts the pixels of each exact colour.
func colours(img image.Image) map[[3]uint8]int {
	out := map[[3]uint8]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			out[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}]++
		}
	}
	return out
}

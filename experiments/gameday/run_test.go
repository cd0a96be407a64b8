package gameday_test

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments/gameday"
	"github.com/faultline/faultline/internal/journal"
)

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
	} `xml:"testsuite"`
}

func readJUnit(path string) junitDoc {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var d junitDoc
	Expect(xml.Unmarshal(data, &d)).To(Succeed())
	return d
}

func loadGD(dir, src string, files map[string]string) *gameday.GameDay {
	files["gd.yaml"] = src
	writeFiles(dir, files)
	gd, err := gameday.Load(filepath.Join(dir, "gd.yaml"))
	Expect(err).NotTo(HaveOccurred())
	return gd
}

func statuses(s *gameday.Summary) []string {
	var out []string
	for _, e := range s.Experiments {
		out = append(out, e.Name+":"+e.Status)
	}
	return out
}

var _ = Describe("a game day of netns experiments", Serial, func() {
	It("runs in order with the cooldown, merges JUnit, and the worst exit code wins", func() {
		p := newPair()
		before := p.Snapshot()
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: three
experiments: [passes.yaml, fails.yaml, aborts.yaml]
cooldown: 400ms
requires:
  - {name: server-port, tcp: {address: "198.18.200.2:80", timeout: 20ms}, every: 10ms, netns: `+p.Client+`, for: 100ms}
`, map[string]string{
			"passes.yaml": p.expYAML("passes", "300ms", "1s", ""),
			"fails.yaml":  p.expYAML("fails", "300ms", "50ms", ""),
			"aborts.yaml": p.expYAML("aborts", "600ms", "1s", "abortWhen:\n  - {probe: web, outageLongerThan: 150ms}\n"),
		})
		out := filepath.Join(dir, "out")
		sum := gameday.Run(context.Background(), gd, gameday.Options{OutDir: out, StateDir: GinkgoT().TempDir()})
		Expect(statuses(sum)).To(Equal([]string{"passes:passed", "fails:failed", "aborts:aborted"}))
		Expect(sum.Exit).To(Equal(3), "aborted (3) outranks failed (1)")
		for i := 1; i < len(sum.Experiments); i++ {
			prev, cur := sum.Experiments[i-1], sum.Experiments[i]
			gap := cur.Started.Sub(prev.Started.Add(time.Duration(prev.Duration * float64(time.Second))))
			GinkgoWriter.Printf("gap before %s: %s\n", cur.Name, gap)
			Expect(prev.Duration).To(BeNumerically(">", 0.5), "%s ran for a while", prev.Name)
			Expect(gap).To(BeNumerically(">=", 400*time.Millisecond), "cooldown before %s", cur.Name)
			Expect(gap).To(BeNumerically("<", 900*time.Millisecond), "only the cooldown between %s and %s", prev.Name, cur.Name)
		}
		// The failure carries its measured outage: a 300 ms cut.
		fails := sum.Experiments[1]
		Expect(fails.Probes).To(HaveLen(1))
		GinkgoWriter.Printf("measured outage of a 300ms cut: %.3fs\n", fails.Probes[0].MaxOutage)
		Expect(fails.Probes[0].MaxOutage).To(And(BeNumerically(">=", 0.29), BeNumerically("<", 1.5)))

		j := readJUnit(filepath.Join(out, "junit.xml"))
		Expect(j.Suites).To(HaveLen(3))
		Expect([]string{j.Suites[0].Name, j.Suites[1].Name, j.Suites[2].Name}).To(Equal([]string{"passes", "fails", "aborts"}))
		Expect(j.Suites[0].Failures + j.Suites[0].Errors).To(Equal(0))
		Expect(j.Suites[1].Failures).To(BeNumerically(">=", 1))
		Expect(j.Suites[2].Errors).To(BeNumerically(">=", 1))
		Expect(j.Failures).To(Equal(j.Suites[0].Failures + j.Suites[1].Failures + j.Suites[2].Failures))

		index, err := os.ReadFile(filepath.Join(out, "index.html"))
		Expect(err).NotTo(HaveOccurred())
		for _, d := range []string{"01-passes", "02-fails", "03-aborts"} {
			Expect(filepath.Join(out, d, "summary.md")).To(BeARegularFile())
			Expect(filepath.Join(out, d, "report.html")).To(BeARegularFile())
			Expect(string(index)).To(ContainSubstring(`href="` + d + `/report.html"`))
			Expect(filepath.Join(out, d, "journal.jsonl")).To(BeARegularFile())
			Expect(string(index)).To(ContainSubstring(`href="` + d + `/summary.md"`))
			run, err := journal.ReadFile(filepath.Join(out, d, "journal.jsonl"))
			Expect(err).NotTo(HaveOccurred())
			Expect(run.OpenUndos()).To(BeEmpty())
		}
		md, err := os.ReadFile(filepath.Join(out, "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(ContainSubstring("ABORTED: game day three, 1 of 3 experiments passed (exit 3)"))
		Expect(string(md)).To(ContainSubstring("**fails** web maxOutage: measured **"))
		back, err := gameday.ReadSummary(filepath.Join(out, "summary.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Exit).To(Equal(3))
		Expect(back.Experiments).To(HaveLen(3))
		expectSameSnapshots(before, p.Snapshot())
	})

	It("stops on the first failure with stopOnFailure, and an invalid preflight outranks it", func() {
		p := newPair()
		dir := GinkgoT().TempDir()
		files := map[string]string{
			"fails.yaml":  p.expYAML("fails", "300ms", "50ms", ""),
			"passes.yaml": p.expYAML("passes", "300ms", "1s", ""),
			"nolink.yaml": p.expYAML("nolink", "300ms", "1s", ""),
		}
		files["nolink.yaml"] = replaceOnce(files["nolink.yaml"], "link: eth0", "link: nosuch0")
		gd := loadGD(dir, "version: 1\nname: stop\nexperiments: [fails.yaml, passes.yaml]\nstopOnFailure: true\n", files)
		out := filepath.Join(dir, "out")
		sum := gameday.Run(context.Background(), gd, gameday.Options{OutDir: out, StateDir: GinkgoT().TempDir()})
		Expect(statuses(sum)).To(Equal([]string{"fails:failed", "passes:skipped"}))
		Expect(sum.Exit).To(Equal(1))
		Expect(filepath.Join(out, "02-passes")).NotTo(BeADirectory())
		Expect(readJUnit(filepath.Join(out, "junit.xml")).Suites).To(HaveLen(1))

		gd = loadGD(dir, "version: 1\nname: invalid\nexperiments: [nolink.yaml, fails.yaml]\n", files)
		sum = gameday.Run(context.Background(), gd, gameday.Options{OutDir: filepath.Join(dir, "out2"), StateDir: GinkgoT().TempDir()})
		Expect(statuses(sum)).To(Equal([]string{"nolink:invalid", "fails:failed"}))
		Expect(sum.Experiments[0].Error).To(ContainSubstring("nosuch0"))
		Expect(sum.Exit).To(Equal(2), "an invalid experiment (2) outranks a failed one (1)")
	})

	It("refuses an experiment whose requires do not hold, injecting nothing", func() {
		p := newPair()
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: gated
experiments: [passes.yaml]
requires:
  - {name: closed-port, tcp: {address: "198.18.200.2:81", timeout: 20ms}, every: 10ms, netns: `+p.Client+`, for: 100ms, within: 300ms}
`, map[string]string{"passes.yaml": p.expYAML("passes", "300ms", "1s", "")})
		out := filepath.Join(dir, "out")
		start := time.Now()
		sum := gameday.Run(context.Background(), gd, gameday.Options{OutDir: out, StateDir: GinkgoT().TempDir()})
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		Expect(statuses(sum)).To(Equal([]string{"passes:refused"}))
		Expect(sum.Exit).To(Equal(3))
		Expect(sum.Experiments[0].Error).To(ContainSubstring("closed-port did not hold within 300ms"))
		Expect(filepath.Join(out, "01-passes", "journal.jsonl")).NotTo(BeAnExistingFile())
	})
})

var _ = Describe("the window", func() {
	It("refuses to run outside it and says so, touching nothing", func() {
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: office-hours
experiments: [a.yaml]
window: {days: [mon, tue, wed, thu, fri], hours: "09:00-16:00", timezone: Europe/Berlin}
`, map[string]string{"a.yaml": offline("a")})
		berlin, _ := time.LoadLocation("Europe/Berlin")
		for _, at := range []time.Time{
			time.Date(2025, 6, 7, 12, 0, 0, 0, berlin), // a Saturday
			time.Date(2025, 6, 3, 8, 59, 0, 0, berlin), // Tuesday, before nine
		} {
			out := filepath.Join(dir, at.Format("0102-1504"))
			sum := gameday.Run(context.Background(), gd, gameday.Options{OutDir: out, Now: func() time.Time { return at }})
			Expect(sum.Status).To(Equal(gameday.StatusRefused))
			Expect(sum.Exit).To(Equal(3))
			Expect(sum.Message).To(ContainSubstring("outside the window"))
			Expect(statuses(sum)).To(Equal([]string{"a:skipped"}))
			Expect(filepath.Join(out, "01-a")).NotTo(BeADirectory())
			md, err := os.ReadFile(filepath.Join(out, "summary.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(md)).To(ContainSubstring("outside the window"))
		}
	})
})

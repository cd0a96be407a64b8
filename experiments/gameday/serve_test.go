package gameday_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/faultline/faultline/experiments/gameday"
	"github.com/faultline/faultline/internal/journal"
)

func get(url string) (int, string) {
	resp, err := http.Get(url)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(b)
}

func finishedRuns(dir string) []gameday.HistoryRun {
	runs, _ := gameday.ListHistory(dir)
	var done []gameday.HistoryRun
	for _, r := range runs {
		if r.Summary != nil {
			done = append(done, r)
		}
	}
	return done
}

// metricValue finds the sample of a family whose labels include want.
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

var _ = Describe("serve", Serial, func() {
	It("runs on its schedule, keeps the history, serves it and metrics that parse and carry the measured values", func() {
		p := newPair()
		before := p.Snapshot()
		h := &hook{}
		hookSrv := httptest.NewServer(h)
		DeferCleanup(hookSrv.Close)
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: every-two-seconds
experiments: [passes.yaml]
schedule: "*/2 * * * * *"
notify: {webhook: "`+hookSrv.URL+`"}
`, map[string]string{"passes.yaml": p.expYAML("passes", "300ms", "1500ms", "")})
		history := filepath.Join(dir, "history")
		Expect(os.MkdirAll(history, 0o755)).To(Succeed())
		srv, err := gameday.NewServer(gd, gameday.ServeOptions{HistoryDir: history, StateDir: GinkgoT().TempDir(),
			Logf: func(f string, a ...any) { GinkgoWriter.Printf(f+"\n", a...) }})
		Expect(err).NotTo(HaveOccurred())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		base := "http://" + ln.Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		stopped := false
		DeferCleanup(func() {
			if !stopped {
				cancel()
				Eventually(served, "10s").Should(Receive())
			}
		})

		Eventually(func() int { return len(finishedRuns(history)) }, "12s", "100ms").Should(BeNumerically(">=", 2))
		code, body := get(base + "/healthz")
		Expect(code).To(Equal(200))
		Expect(body).To(Equal("ok\n"))
		code, body = get(base + "/metrics")
		Expect(code).To(Equal(200))
		parser := expfmt.NewTextParser(model.UTF8Validation)
		_, err = parser.TextToMetricFamilies(strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred(), body)

		cancel()
		Eventually(served, "10s").Should(Receive(BeNil()))
		stopped = true
		expectSameSnapshots(before, p.Snapshot())

		// After the stop, the metrics and the history agree exactly.
		runs := finishedRuns(history)
		Expect(len(runs)).To(BeNumerically(">=", 2))
		hs := httptest.NewServer(srv.Handler())
		DeferCleanup(hs.Close)
		_, body = get(hs.URL + "/metrics")
		fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred(), body)
		GinkgoWriter.Println(body)
		v, ok := metricValue(fams, "faultline_gameday_runs_total", nil)
		Expect(ok).To(BeTrue())
		Expect(int(v)).To(Equal(len(runs)))
		v, _ = metricValue(fams, "faultline_gameday_failures_total", nil)
		Expect(v).To(Equal(0.0))
		latest := runs[0].Summary.Experiments[0]
		Expect(latest.Status).To(Equal(gameday.StatusPassed))
		v, ok = metricValue(fams, "faultline_probe_max_outage_seconds", map[string]string{"experiment": "passes", "probe": "web"})
		Expect(ok).To(BeTrue())
		Expect(v).To(Equal(latest.Probes[0].MaxOutage))
		Expect(v).To(BeNumerically(">=", 0.29), "the 300 ms cut was measured")
		v, ok = metricValue(fams, "faultline_probe_recovery_seconds", map[string]string{"experiment": "passes", "probe": "web"})
		Expect(ok).To(BeTrue())
		var reaches float64
		for _, vd := range latest.Verdicts {
			if vd.Kind == "reaches" {
				reaches = vd.Value
			}
		}
		Expect(v).To(Equal(reaches))
		Expect(v).To(BeNumerically("<", 0.5))
		v, _ = metricValue(fams, "faultline_experiment_last_passed", map[string]string{"experiment": "passes"})
		Expect(v).To(Equal(1.0))

		// The history page links every run, and serves its files.
		_, page := get(hs.URL + "/")
		for _, r := range runs {
			Expect(page).To(ContainSubstring(`href="/` + r.Dir + `/index.html"`))
			Expect(page).To(ContainSubstring(`href="/` + r.Dir + `/01-passes/report.html"`))
			code, idx := get(hs.URL + "/" + r.Dir + "/index.html")
			Expect(code).To(Equal(200))
			Expect(idx).To(ContainSubstring(`href="01-passes/summary.md"`))
		}
		// The webhook got every game day.
		h.mu.Lock()
		Expect(len(h.bodies)).To(Equal(len(runs)))
		h.mu.Unlock()
	})

	It("stops on SIGTERM during a run, reverting it: nothing stays injected", func() {
		p := newPair()
		before := p.Snapshot()
		dir := GinkgoT().TempDir()
		writeFiles(dir, map[string]string{
			"long.yaml": p.expYAML("long", "5s", "10s", ""),
			"gd.yaml":   "version: 1\nname: sigterm\nexperiments: [long.yaml]\nschedule: \"* * * * * *\"\n",
		})
		bin := filepath.Join(GinkgoT().TempDir(), "faultline")
		build := exec.Command("go", "build", "-tags", "libvirt_dlopen", "-o", bin, "../../cmd/faultline")
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		ln.Close()
		history := filepath.Join(dir, "history")
		cmd := exec.Command(bin, "--state-dir", GinkgoT().TempDir(), "gameday", "serve", filepath.Join(dir, "gd.yaml"),
			"--listen", addr, "--history", history)
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		Expect(cmd.Start()).To(Succeed())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		DeferCleanup(func() { _ = cmd.Process.Kill() })

		Eventually(p.serverLinkDown, "6s", "10ms").Should(BeTrue(), "the scheduled run cut the NIC")
		Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		start := time.Now()
		Eventually(exited, "10s").Should(Receive(BeNil()), "a clean exit")
		GinkgoWriter.Printf("stopped %s after SIGTERM\n", time.Since(start))
		Expect(p.serverLinkDown()).To(BeFalse())
		expectSameSnapshots(before, p.Snapshot())

		runs := finishedRuns(history)
		Expect(runs).To(HaveLen(1))
		s := runs[0].Summary
		Expect(s.Exit).To(Equal(3))
		Expect(s.Experiments[0].Status).To(Equal(gameday.StatusAborted))
		run, err := journal.ReadFile(filepath.Join(history, runs[0].Dir, s.Experiments[0].Dir, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(BeEmpty())
		Expect(fmt.Sprint(run.Aborts)).To(ContainSubstring("signal"))
	})
})

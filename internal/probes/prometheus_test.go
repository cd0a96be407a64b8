package probes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	_ "github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/reports"
)

// promLab is a real Prometheus (Debian's) in one namespace scraping a
// real node exporter in another, across a veth that a link.down can cut.
type promLab struct {
	promNS, expNS string
	expLink       string // the exporter's end of the veth
	url           string
}

const (
	promBin = "/usr/bin/prometheus"
	nodeBin = "/usr/bin/prometheus-node-exporter"
)

// startIn starts a program inside a namespace (ip netns exec is a test's
// tool, not the product's), killed when the spec ends.
func startIn(ns, logPath string, argv ...string) {
	log, err := os.Create(logPath)
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		log.Close()
	})
}

func newPromLab() *promLab {
	if _, err := os.Stat(promBin); err != nil {
		Skip("needs Debian's prometheus: " + err.Error())
	}
	if _, err := os.Stat(nodeBin); err != nil {
		Skip("needs Debian's prometheus-node-exporter: " + err.Error())
	}
	l := &promLab{promNS: newNetns(), expNS: newNetns(), expLink: "fl-exp"}
	joinNetns(l.promNS, "fl-prom", "198.18.90.1/30", l.expNS, l.expLink, "198.18.90.2/30")
	dir := GinkgoT().TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	Expect(os.WriteFile(cfg, []byte(`global: {scrape_interval: 1s, scrape_timeout: 500ms, evaluation_interval: 1s}
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["198.18.90.2:9100"]}]
`), 0o644)).To(Succeed())
	startIn(l.expNS, filepath.Join(dir, "node.log"), nodeBin,
		"--web.listen-address=198.18.90.2:9100", "--collector.disable-defaults", "--collector.loadavg")
	startIn(l.promNS, filepath.Join(dir, "prometheus.log"), promBin,
		"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address=198.18.90.1:9090", "--storage.tsdb.retention.time=1h")
	l.url = "http://198.18.90.1:9090"
	ready, err := probes.New(def("prometheus", map[string]any{"url": l.url, "query": "vector(1)", "timeout": "1s"}, time.Second, l.promNS))
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() error { return ready.(probes.Preflighter).Preflight(context.Background()) }).
		WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(Succeed(), "Prometheus starts")
	return l
}

func (l *promLab) probe(query, ok string) probes.Prober {
	params := map[string]any{"url": l.url, "query": query, "timeout": "2s"}
	if ok != "" {
		params["ok"] = ok
	}
	p, err := probes.New(def("prometheus", params, time.Second, l.promNS))
	Expect(err).NotTo(HaveOccurred())
	return p
}

var _ = Describe("prometheus probe (a real Prometheus scraping a real node exporter)", Ordered, func() {
	var lab *promLab
	BeforeAll(func() { lab = newPromLab() })

	It("follows `up` to 0 while a link.down cuts the exporter's veth and back after the revert", func() {
		up := lab.probe(`up{job="node"} == 1`, "")
		val := lab.probe(`up{job="node"}`, "> 0.5")
		bg := context.Background()
		Eventually(func() probes.Sample { return up.Check(bg) }).WithTimeout(30*time.Second).WithPolling(250*time.Millisecond).
			Should(HaveField("OK", BeTrue()), "Prometheus starts and scrapes the exporter")
		s := val.Check(bg)
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(1.0))
		Expect(s.Detail).To(MatchRegexp(`^evaluated at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`))

		params, _ := json.Marshal(map[string]any{"netns": lab.expNS, "link": lab.expLink})
		k, ok := faults.Lookup("link.down")
		Expect(ok).To(BeTrue())
		cut, err := k.NewFault(params)
		Expect(err).NotTo(HaveOccurred())
		_, err = cut.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = cut.Revert(context.Background()) })

		t0 := time.Now()
		Expect(cut.Inject(bg)).To(Succeed())
		Eventually(func() probes.Sample { return up.Check(bg) }).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).
			Should(HaveField("OK", BeFalse()))
		down := time.Since(t0)
		s = up.Check(bg)
		Expect(s.Detail).To(HavePrefix("empty result, evaluated at "))
		s = val.Check(bg)
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(0.0))
		Expect(s.Detail).To(HavePrefix("value 0, want > 0.5, evaluated at "))

		t1 := time.Now()
		Expect(cut.Revert(bg)).To(Succeed())
		Eventually(func() probes.Sample { return up.Check(bg) }).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).
			Should(HaveField("OK", BeTrue()))
		back := time.Since(t1)
		AddReportEntry("prometheus up", fmt.Sprintf("link.down → up==0 seen by the probe after %s; revert → up==1 after %s (scrape 1s, timeout 500ms)",
			down.Round(time.Millisecond), back.Round(time.Millisecond)))
		GinkgoWriter.Printf("link.down → up 0 after %s, revert → up 1 after %s\n", down.Round(time.Millisecond), back.Round(time.Millisecond))
	})

	It("fails preflight clearly: unreachable server, a query that does not parse, several series", func() {
		bg := context.Background()
		pf := func(url, query string) error {
			p, err := probes.New(def("prometheus", map[string]any{"url": url, "query": query, "timeout": "2s"}, time.Second, lab.promNS))
			Expect(err).NotTo(HaveOccurred())
			return p.(probes.Preflighter).Preflight(bg)
		}
		Expect(pf(lab.url, `up`)).To(Succeed())
		Expect(pf("http://198.18.90.1:9999", `up`)).To(MatchError(And(ContainSubstring(`prometheus query "up"`), ContainSubstring("connection refused"))))
		serveHTTP(listenIn(lab.promNS, "198.18.90.1:9091"), http.NotFoundHandler())
		Expect(pf("http://198.18.90.1:9091", `up`)).To(MatchError(ContainSubstring("http://198.18.90.1:9091 answered 404: not a Prometheus HTTP API")))
		Expect(pf(lab.url, `sum(up{job="node"`)).To(MatchError(ContainSubstring(`prometheus query "sum(up{job=\"node\"" does not parse: `)))
		err := pf(lab.url, `label_replace(vector(1), "a", "b", "", "") or vector(2)`)
		Expect(err).To(MatchError(ContainSubstring(`prometheus query "label_replace(vector(1), \"a\", \"b\", \"\", \"\") or vector(2)" returned 2 series`)))
		Expect(err).To(MatchError(ContainSubstring("aggregate it")))

		// In a run: a plan error (exit 2), nothing injected.
		exp, err := experiments.Parse("down.yaml", []byte(fmt.Sprintf(`version: 1
name: prom-down
probes:
  slo: {prometheus: {url: "http://198.18.90.1:9999", query: "up"}, netns: %s}
verify:
  - {probe: slo, maxOutage: 1s}
`, lab.promNS)))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "prom-down")
		Expect(err).NotTo(HaveOccurred())
		err = plan.Preflight(bg)
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err).To(MatchError(ContainSubstring(`down.yaml: probe slo (prometheus): prometheus query "up"`)))
	})

	It("stops a run when a PromQL stop condition has held for `for`, reverting the cut (exit 3)", func() {
		src := fmt.Sprintf(`version: 1
name: prom-stop
probes:
  node-up: {prometheus: {url: %[1]q, query: 'up{job="node"}', ok: "== 1"}, every: 1s, netns: %[2]s}
steps:
  - {name: cut, fault: link.down, with: {netns: %[3]s, link: %[4]s}, at: 1s, duration: 30s}
observe: 2s
abortWhen:
  - {prometheus: {url: %[1]q, query: 'up{job="node"} == 0'}, for: 2s, every: 1s, netns: %[2]s}
`, lab.url, lab.promNS, lab.expNS, lab.expLink)
		exp, err := experiments.Parse("prom-stop.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "prom-stop")
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() error { return plan.Preflight(context.Background()) }).WithTimeout(20 * time.Second).Should(Succeed())
		start := time.Now()
		res := engine.Run(context.Background(), plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		took := time.Since(start)
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		Expect(res.Journal.Aborts).NotTo(BeEmpty())
		reason := res.Journal.Aborts[0].Reason
		Expect(reason).To(ContainSubstring(`prometheus query "up{job=\"node\"} == 0" held for`))
		Expect(took).To(BeNumerically("<", 20*time.Second), "the stop condition ends the run long before the 30 s cut")
		Expect(res.Journal.OpenUndos()).To(BeEmpty())
		// The cut was reverted: the exporter is scraped again.
		up := lab.probe(`up{job="node"} == 1`, "")
		Eventually(func() bool { return up.Check(context.Background()).OK }).WithTimeout(10 * time.Second).Should(BeTrue())
		// The report, a function of the journal, says the same, and draws the query's value.
		rep := reports.Build(res.Journal)
		Expect(rep.Exit).To(Equal(exitcode.Aborted))
		Expect(rep.Aborts).To(ContainElement(reason))
		var page strings.Builder
		Expect(reports.WriteHTML(&page, rep, reports.HTMLOptions{})).To(Succeed())
		Expect(page.String()).To(ContainSubstring(`class="tl chart value" data-probe="node-up"`))
		AddReportEntry("prometheus stop", fmt.Sprintf("run aborted after %s: %s", took.Round(time.Millisecond), reason))
		GinkgoWriter.Printf("run aborted after %s: %s\n", took.Round(time.Millisecond), reason)
		Expect(strings.Count(reason, "held for")).To(Equal(1))
	})
})

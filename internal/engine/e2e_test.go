package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/verify"
	"github.com/faultline/faultline/reports"

	_ "github.com/faultline/faultline/faults/netfault"
)

// cutNIC is the experiment of the issue: the server's NIC cut for exactly
// 2 s while the client probes every 5 ms.
func cutNIC(t *miniTopo, bound string, extra string) *experiments.Experiment {
	src := fmt.Sprintf(`version: 1
name: e2e-cut-nic
probes:
  web:
    http: {url: "http://198.18.100.2/", status: 200, timeout: 10ms}
    every: 5ms
    netns: %s
steadyState:
  - {probe: web, for: 500ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %s, link: eth0}
    at: 300ms
    duration: 2s
observe: 700ms
verify:
  - {probe: web, maxOutage: %s}
  - {probe: web, never: ok, during: cut}
%s`, t.Client, t.Server, bound, extra)
	exp, err := experiments.Parse("e2e.yaml", []byte(src))
	Expect(err).NotTo(HaveOccurred())
	return exp
}

func run(ctx context.Context, exp *experiments.Experiment) *engine.Result {
	plan, err := engine.NewPlan(exp, "e2e")
	Expect(err).NotTo(HaveOccurred())
	Expect(plan.Preflight(ctx)).To(Succeed())
	dir := GinkgoT().TempDir()
	return engine.Run(ctx, plan, engine.Options{OutDir: dir, StateDir: GinkgoT().TempDir()})
}

func verdict(res *engine.Result, kind string) verify.Verdict {
	for _, v := range res.Verdicts {
		if v.Kind == kind {
			return v
		}
	}
	Fail("no verdict of kind " + kind)
	return verify.Verdict{}
}

var _ = Describe("a run against real namespaces", Serial, func() {
	It("measures a 2 s NIC cut within 20 ms, exits 1 over a 1s bound, and leaves the network as it was", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		res := run(context.Background(), cutNIC(t, "1s", ""))
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Failed), "a 1s bound must fail a 2s cut")
		mo := verdict(res, "maxOutage")
		GinkgoWriter.Printf("measured outage %.4fs for a 2s cut\n", mo.Value)
		Expect(math.Abs(mo.Value-2.0)).To(BeNumerically("<=", 0.020), "measured %s", mo.Measured)
		Expect(verdict(res, "never").Passed).To(BeTrue(), "the cut really took effect")
		expectSameSnapshots(before, t.Snapshot())

		// The report of the journal gives the run's verdict.
		rep := reports.Build(res.Journal)
		Expect(rep.Exit).To(Equal(exitcode.Failed))
		got, _ := json.Marshal(rep.Verdicts)
		want, _ := json.Marshal(res.Verdicts)
		Expect(string(got)).To(Equal(string(want)))
	})

	It("exits 0 when the bound is 3s", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		res := run(context.Background(), cutNIC(t, "3s", "  - {probe: web, reaches: ok, within: 100ms, after: cut.end}\n"))
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Passed), "verdicts: %+v", res.Verdicts)
		expectSameSnapshots(before, t.Snapshot())
	})

	It("aborts on a signal, reverts at once and exits 3", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(1200 * time.Millisecond); cancel() }() // mid-cut
		start := time.Now()
		res := run(ctx, cutNIC(t, "3s", ""))
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		Expect(res.Status).To(Equal(journal.StatusAborted))
		Expect(time.Since(start)).To(BeNumerically("<", 2500*time.Millisecond), "the abort must not wait for the cut to end")
		Expect(res.Journal.OpenUndos()).To(BeEmpty())
		expectSameSnapshots(before, t.Snapshot())
	})

	It("injects nothing and exits 3 when the steady state does not hold", func() {
		t := newMiniTopo()
		exp := cutNIC(t, "3s", "")
		exp.Probes["web"].With["url"] = "http://198.18.100.2:81/" // nothing listens there
		plan, err := engine.NewPlan(exp, "e2e")
		Expect(err).NotTo(HaveOccurred())
		res := engine.Run(context.Background(), plan, engine.Options{OutDir: GinkgoT().TempDir(),
			StateDir: GinkgoT().TempDir(), SteadyGrace: 500 * time.Millisecond})
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		for _, s := range res.Journal.Steps {
			Expect(s.Ev).NotTo(Equal(journal.EvInjected))
		}
	})

	It("stops on abortWhen, reverting everything", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		exp := cutNIC(t, "3s", "abortWhen:\n  - {probe: web, outageLongerThan: 400ms}\n")
		res := run(context.Background(), exp)
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		Expect(res.Journal.Aborts).NotTo(BeEmpty())
		Expect(res.Journal.Aborts[0].Reason).To(ContainSubstring("web"))
		expectSameSnapshots(before, t.Snapshot())
	})
})

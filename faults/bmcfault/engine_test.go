package bmcfault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
)

// experiment powers the simulated host off through its BMC for 1s while
// the bmc probe watches it.
func (s *sim) experiment() *experiments.Experiment {
	src := fmt.Sprintf(`version: 1
name: bmc-axe
probes:
  hv:
    bmc: {address: %s, user: %s, passwordFile: %s}
    netns: %s
    every: 400ms
steps:
  - name: axe
    fault: bmc.power
    with: %s
    at: 500ms
    duration: 1500ms
observe: 1s
verify:
  - {probe: hv, reaches: "== 0", within: 1500ms, after: axe}
  - {probe: hv, reaches: "== 1", within: 1500ms, after: axe.end}
`, simAddr, simUser, s.pwFile, s.netns, s.with("off"))
	exp, err := experiments.Parse("bmc-axe.yaml", []byte(src))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return exp
}

var _ = Describe("bmc.power through the engine", Serial, func() {
	ctx := context.Background()

	It("powers the host off once and on again, the probe sees both, and the journal holds no password", func() {
		s := startSim()
		plan, err := engine.NewPlan(s.experiment(), "bmc-e2e")
		Expect(err).NotTo(HaveOccurred())
		Expect(plan.Preflight(ctx)).To(Succeed())
		out := GinkgoT().TempDir()
		res := engine.Run(ctx, plan, engine.Options{OutDir: out, StateDir: GinkgoT().TempDir()})
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Passed), "verdicts: %+v", res.Verdicts)
		_, vals := s.sets()
		Expect(vals).To(Equal([]string{"0", "1"}), "off exactly once, on exactly once")
		Expect(s.power()).To(Equal("1"))
		j, err := os.ReadFile(res.JournalPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(j)).To(ContainSubstring(`"powerBefore":"on"`))
		Expect(string(j)).NotTo(ContainSubstring(simPassword))
	})

	It("refuses the plan at preflight when the password is wrong, naming the BMC, and injects nothing", func() {
		s := startSim()
		Expect(os.WriteFile(s.pwFile, []byte("wrong-one"), 0o600)).To(Succeed())
		plan, err := engine.NewPlan(s.experiment(), "bmc-e2e")
		Expect(err).NotTo(HaveOccurred())
		err = plan.Preflight(ctx)
		Expect(err).To(MatchError(ContainSubstring("198.19.0.2:623")))
		Expect(err).NotTo(MatchError(ContainSubstring("wrong-one")))
		_, vals := s.sets()
		Expect(vals).To(BeEmpty())
	})

	It("powers a host back on from the journal of a run that died (recover)", func() {
		s := startSim()
		state, out := GinkgoT().TempDir(), GinkgoT().TempDir()
		kind, _ := faults.Lookup("bmc.power")
		f, err := kind.NewFault(json.RawMessage(s.with("off")))
		Expect(err).NotTo(HaveOccurred())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		jw, err := journal.Create(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(jw.Header(journal.Header{Run: "dead-run", Experiment: &experiments.Experiment{Version: 1, Name: "dead"}, Wall: time.Now()})).To(Succeed())
		Expect(jw.Step(journal.StepRec{Step: "axe", Ev: journal.EvPrepared, Undo: &undo, Revert: "auto"})).To(Succeed())
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(jw.Step(journal.StepRec{Step: "axe", Ev: journal.EvInjected, At: time.Millisecond})).To(Succeed())
		Expect(jw.Close()).To(Succeed())
		Expect(os.MkdirAll(engine.ActiveDir(state), 0o755)).To(Succeed())
		Expect(os.Symlink(filepath.Join(out, "journal.jsonl"), filepath.Join(engine.ActiveDir(state), "dead-run.jsonl"))).To(Succeed())
		Expect(s.power()).To(Equal("0"))

		acts, err := engine.Recover(ctx, state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(HaveLen(1))
		Expect(acts[0].Outcome).To(Equal("reverted"))
		Expect(s.power()).To(Equal("1"))
	})
})

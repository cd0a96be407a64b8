package bmcfault_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
)

// onHostExperiment powers hv-a off through "hv-a's BMC": the step and the
// probe say only `on: hv-a`; the inventory holds the BMC in Ansible's
// ipmi_* variables. hv-a's SSH address answers nothing: the BMC is
// dialled from this machine, so nothing may try to reach hv-a itself.
func (s *sim) onHostExperiment() *experiments.Experiment {
	dir := GinkgoT().TempDir()
	inv := fmt.Sprintf(`[hypervisors]
hv-a ansible_host=198.18.254.254 ipmi_address=%s ipmi_user=%s ipmi_password_file=%s faultline_bmc_netns=%s
`, simAddr, simUser, s.pwFile, s.netns)
	Expect(os.WriteFile(filepath.Join(dir, "inventory.ini"), []byte(inv), 0o600)).To(Succeed())
	src := `version: 1
name: bmc-on-host
inventory: inventory.ini
probes:
  hv:
    bmc: {}
    on: hv-a
    every: 400ms
steps:
  - name: axe
    fault: bmc.power
    on: hv-a
    with: {action: off}
    at: 500ms
    duration: 1500ms
observe: 1s
verify:
  - {probe: hv, reaches: "== 0", within: 1500ms, after: axe}
  - {probe: hv, reaches: "== 1", within: 1500ms, after: axe.end}
`
	file := filepath.Join(dir, "bmc-on-host.yaml")
	Expect(os.WriteFile(file, []byte(src), 0o600)).To(Succeed())
	exp, err := experiments.Load(file)
	Expect(err).NotTo(HaveOccurred())
	return exp
}

var _ = Describe("bmc.power and the bmc probe on: a host", Serial, func() {
	ctx := context.Background()

	It("find the host's BMC in the inventory and dial it from this machine, never the host", func() {
		s := startSim()
		exp := s.onHostExperiment()
		Expect(exp.Steps[0].Hosts).To(BeEmpty(), "no agent on the host it powers off")
		Expect(exp.Probes["hv"].Host).To(BeEmpty())
		Expect(engine.HostNames(exp)).To(BeEmpty(), "no SSH session at all")
		Expect(exp.Steps[0].With).To(HaveKeyWithValue("address", simAddr))
		Expect(exp.Steps[0].With).To(HaveKeyWithValue("netns", s.netns))
		Expect(exp.Probes["hv"].Netns).To(Equal(s.netns))

		plan, err := engine.NewPlan(exp, "bmc-on-host")
		Expect(err).NotTo(HaveOccurred())
		Expect(plan.Steps[0].Fault.Describe()).To(ContainSubstring("hv-a's BMC " + simAddr + ":623"))
		Expect(plan.Preflight(ctx)).To(Succeed())
		res := engine.Run(ctx, plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Passed), "verdicts: %+v", res.Verdicts)
		_, vals := s.sets()
		Expect(vals).To(Equal([]string{"0", "1"}), "off exactly once, on exactly once")
		j, err := os.ReadFile(res.JournalPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(j)).NotTo(ContainSubstring(simPassword))
	})

	It("names the host when its BMC refuses the password at preflight", func() {
		s := startSim()
		exp := s.onHostExperiment()
		Expect(os.WriteFile(s.pwFile, []byte("wrong-one"), 0o600)).To(Succeed())
		plan, err := engine.NewPlan(exp, "bmc-on-host")
		Expect(err).NotTo(HaveOccurred())
		err = plan.Preflight(ctx)
		Expect(err).To(MatchError(ContainSubstring("host hv-a: ")))
		_, vals := s.sets()
		Expect(vals).To(BeEmpty())
	})

	It("refuses at load a host with no BMC, naming it and the variables to set", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "inv.ini"), []byte("hv-b ansible_host=198.18.254.253\n"), 0o600)).To(Succeed())
		src := "version: 1\nname: x\ninventory: inv.ini\nsteps:\n  - {name: axe, fault: bmc.power, on: hv-b}\n"
		Expect(os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(src), 0o600)).To(Succeed())
		_, err := experiments.Load(filepath.Join(dir, "x.yaml"))
		Expect(err).To(MatchError(ContainSubstring("steps[0].on: host hv-b")))
		Expect(err).To(MatchError(ContainSubstring("ipmi_address")))
	})
})

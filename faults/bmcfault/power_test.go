package bmcfault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/bmcfault"
	"github.com/faultline/faultline/internal/probes"
)

func newFault(with string) faults.Fault {
	k, ok := faults.Lookup("bmc.power")
	ExpectWithOffset(1, ok).To(BeTrue())
	f, err := k.NewFault(json.RawMessage(with))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return f
}

var _ = Describe("bmc.power against a real ipmi_sim", func() {
	var s *sim
	ctx := context.Background()
	BeforeEach(func() { s = startSim() })

	It("powers the host off within 100 ms of Inject and on again on revert", func() {
		f := newFault(s.with("off"))
		Expect(f.Targets()).To(Equal([]faults.Target{{Kind: "bmc", ID: "bmc:198.19.0.2:623"}}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.power()).To(Equal("1"))

		start := time.Now()
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("0"))
		at, vals := s.sets()
		Expect(vals).To(Equal([]string{"0"}))
		Expect(at[0]).To(BeTemporally(">=", start))

		on, err := bmcfault.PowerState(ctx, s.config())
		Expect(err).NotTo(HaveOccurred())
		Expect(on).To(BeFalse())

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("1"))
		Expect(f.Revert(ctx)).To(Succeed(), "reverting twice succeeds")
		_, vals = s.sets()
		Expect(vals).To(Equal([]string{"0", "1"}), "a host already on is not powered on again")
	})

	It("reaches the chassis control program within 100 ms of Inject (median of 7), over the session Prepare opened", func() {
		measure := func(prepare bool) []time.Duration {
			var out []time.Duration
			for i := 0; i < 7; i++ {
				f := newFault(s.with("off"))
				if prepare {
					_, err := f.Prepare(ctx)
					Expect(err).NotTo(HaveOccurred())
				}
				n := len(func() []string { _, v := s.sets(); return v }())
				start := time.Now()
				Expect(f.Inject(ctx)).To(Succeed())
				at, vals := s.sets()
				Expect(vals[n]).To(Equal("0"))
				out = append(out, at[n].Sub(start))
				Expect(f.Revert(ctx)).To(Succeed())
			}
			slices.Sort(out)
			return out
		}
		warm := measure(true)
		cold := measure(false)
		fmt.Fprintf(GinkgoWriter, "Inject to power off at the BMC's chassis control program, 7 runs sorted:\n  prepared session: %v\n  new session:      %v\n", warm, cold)
		AddReportEntry("inject-to-power-off (prepared session)", fmt.Sprint(warm))
		AddReportEntry("inject-to-power-off (new session)", fmt.Sprint(cold))
		Expect(warm[3]).To(BeNumerically("<", 100*time.Millisecond))
	})

	It("reaches the chassis control program within 100 ms of Inject 35 s after Prepare (the BMC closes a session idle for 30 s)", func() {
		f := newFault(s.with("off"))
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(35 * time.Second)
		start := time.Now()
		Expect(f.Inject(ctx)).To(Succeed())
		at, vals := s.sets()
		Expect(vals).To(Equal([]string{"0"}))
		Expect(at[0].Sub(start)).To(BeNumerically("<", 100*time.Millisecond))
		Expect(f.Revert(ctx)).To(Succeed())
	})

	It("cycles the power and leaves the host on after revert", func() {
		f := newFault(s.with("cycle"))
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())
		Eventually(func() []string { _, v := s.sets(); return v }).WithTimeout(5 * time.Second).
			Should(ContainElement("0"))
		Expect(f.Revert(ctx)).To(Succeed())
		Eventually(s.power).WithTimeout(5 * time.Second).Should(Equal("1"))
	})

	It("resets the host and soft-offs it (reset and soft shutdown reach the chassis control program)", func() {
		f := newFault(s.with("reset"))
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())
		_, resets := s.setsOf("reset")
		Expect(resets).To(Equal([]string{"1"}))
		Expect(f.Revert(ctx)).To(Succeed())

		f = newFault(s.with("soft"))
		_, err = f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())
		_, shutdowns := s.setsOf("shutdown")
		Expect(shutdowns).To(Equal([]string{"1"}))
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("1"))
	})

	It("reverts from the undo record alone, in a fresh process's way, and the record holds no password", func() {
		f := newFault(s.with("off"))
		u, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(u.Params)).NotTo(ContainSubstring(simPassword))
		var rec map[string]any
		Expect(json.Unmarshal(u.Params, &rec)).To(Succeed())
		Expect(rec).To(HaveKeyWithValue("address", "198.19.0.2"))
		Expect(rec).To(HaveKeyWithValue("port", BeNumerically("==", 623)))
		Expect(rec).To(HaveKeyWithValue("user", simUser))
		Expect(rec).To(HaveKeyWithValue("netns", s.netns))
		Expect(rec).To(HaveKeyWithValue("passwordFile", s.pwFile))
		Expect(rec).To(HaveKeyWithValue("powerBefore", "on"))

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("0"))

		back := faults.Undo{Kind: u.Kind, Params: append(json.RawMessage(nil), u.Params...)}
		Expect(faults.TrustUndo(back)).To(Succeed())
		Expect(faults.RevertUndo(ctx, back)).To(Succeed())
		Expect(s.power()).To(Equal("1"))
	})

	It("leaves a host that was off before the fault off on revert", func() {
		off := newFault(s.with("off"))
		_, err := off.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(off.Inject(ctx)).To(Succeed())

		again := newFault(s.with("off"))
		u, err := again.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(u.Params)).To(ContainSubstring(`"powerBefore":"off"`))
		Expect(again.Inject(ctx)).To(Succeed())
		Expect(faults.RevertUndo(ctx, u)).To(Succeed())
		Expect(s.power()).To(Equal("0"))
	})

	It("powers on a host a `revert: never` fault left off, and its revert leaves it on", func() {
		off := newFault(s.with("off"))
		_, err := off.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(off.Inject(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("0"))

		on := newFault(s.with("on"))
		_, err = on.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(on.Inject(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("1"))
		Expect(on.Revert(ctx)).To(Succeed())
		Expect(s.power()).To(Equal("1"))
		_, vals := s.sets()
		Expect(vals).To(Equal([]string{"0", "1"}))
	})

	It("reads the password from an environment variable", func() {
		GinkgoT().Setenv("FL_TEST_BMC_PW", simPassword)
		cfg := s.config()
		cfg.PasswordFile, cfg.PasswordEnv = "", "FL_TEST_BMC_PW"
		on, err := bmcfault.PowerState(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(on).To(BeTrue())

		cfg.PasswordEnv = "FL_TEST_BMC_PW_UNSET"
		_, err = bmcfault.PowerState(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("FL_TEST_BMC_PW_UNSET is not set")))
	})

	It("refuses a wrong password at preflight, naming the address, and changes nothing", func() {
		const wrong = "not-the-Passw0rd"
		Expect(os.WriteFile(s.pwFile, []byte(wrong), 0o600)).To(Succeed())
		f := newFault(s.with("off"))
		start := time.Now()
		err := f.(faults.Preflighter).Preflight(ctx)
		fmt.Fprintf(GinkgoWriter, "wrong password refused after %v: %v\n", time.Since(start), err)
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, bmcfault.ErrAuth)).To(BeTrue(), err.Error())
		Expect(err.Error()).To(ContainSubstring("198.19.0.2:623"))
		Expect(err.Error()).NotTo(ContainSubstring(wrong))
		Expect(err.Error()).NotTo(ContainSubstring(simPassword))
		_, err = f.Prepare(ctx)
		Expect(err).To(MatchError(bmcfault.ErrAuth))
		Expect(f.Inject(ctx)).To(MatchError(bmcfault.ErrAuth))
		_, vals := s.sets()
		Expect(vals).To(BeEmpty())
		Expect(s.power()).To(Equal("1"))
	})

	It("fails against an unreachable BMC within the operation timeout, naming it", func() {
		cfg := s.config()
		cfg.Address = "198.19.0.77" // routed to a dummy link: every datagram vanishes
		start := time.Now()
		_, err := bmcfault.PowerState(ctx, cfg)
		took := time.Since(start)
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, bmcfault.ErrUnreachable)).To(BeTrue(), err.Error())
		Expect(err.Error()).To(ContainSubstring("198.19.0.77:623"))
		Expect(err.Error()).NotTo(ContainSubstring(simPassword))
		Expect(took).To(BeNumerically("<", 4*time.Second), "two datagrams of 1.5 s, no Close Session wait")
		fmt.Fprintf(GinkgoWriter, "unreachable BMC reported after %v\n", took)
	})
})

var _ = Describe("bmc.power parameters and undo records", func() {
	kind := func() faults.Kind { k, _ := faults.Lookup("bmc.power"); return k }

	It("rejects a missing password source, two sources, an unknown action and a bad netns", func() {
		_, err := kind().NewFault(json.RawMessage(`{"address":"198.19.0.2","user":"a","action":"explode","netns":"../x"}`))
		Expect(err).To(MatchError(ContainSubstring("exactly one of passwordFile, passwordEnv")))
		Expect(err).To(MatchError(ContainSubstring(`action "explode"`)))
		Expect(err).To(MatchError(ContainSubstring("netns")))
		_, err = kind().NewFault(json.RawMessage(`{"address":"198.19.0.2","passwordFile":"/a","passwordEnv":"B"}`))
		Expect(err).To(MatchError(ContainSubstring("exactly one")))
		_, err = kind().NewFault(json.RawMessage(`{"address":"198.19.0.2","passwordEnv":"B","password":"x"}`))
		Expect(err).To(MatchError(ContainSubstring("unknown field")), "a password in the experiment is refused")
	})

	It("trusts only a record with an address and a password source", func() {
		ok := `{"address":"198.19.0.2","port":623,"user":"a","passwordEnv":"B","action":"off","powerBefore":"on"}`
		Expect(faults.TrustUndo(faults.Undo{Kind: "bmc.power", Params: json.RawMessage(ok)})).To(Succeed())
		for _, bad := range []string{
			`{"port":623,"user":"a","passwordEnv":"B","action":"off","powerBefore":"on"}`,
			`{"address":"198.19.0.2","user":"a","action":"off","powerBefore":"on"}`,
			`{"address":"198.19.0.2","passwordEnv":"B","action":"off","powerBefore":"maybe"}`,
		} {
			err := faults.TrustUndo(faults.Undo{Kind: "bmc.power", Params: json.RawMessage(bad)})
			Expect(err).To(MatchError(faults.ErrUntrusted), bad)
		}
	})
})

var _ = Describe("the bmc probe against a real ipmi_sim", func() {
	It("reads 1 while the host is on, 0 once it is off, and is not ok when the BMC does not answer", func() {
		s := startSim()
		ctx := context.Background()
		def := probes.Def{Name: "hv-a-power", Kind: "bmc", Netns: s.netns, Every: time.Second,
			Params: json.RawMessage(fmt.Sprintf(`{"address":%q,"user":%q,"passwordFile":%q}`, simAddr, simUser, s.pwFile))}
		p, err := probes.New(def)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.(probes.Preflighter).Preflight(ctx)).To(Succeed())

		smp := p.Check(ctx)
		Expect(smp.OK).To(BeTrue(), smp.Detail)
		Expect(smp.Value).To(Equal(1.0))

		f := newFault(s.with("off"))
		_, err = f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())
		smp = p.Check(ctx)
		Expect(smp.OK).To(BeTrue(), smp.Detail)
		Expect(smp.Value).To(Equal(0.0))

		def.Params = json.RawMessage(fmt.Sprintf(`{"address":"198.19.0.77","user":%q,"passwordFile":%q}`, simUser, s.pwFile))
		dead, err := probes.New(def)
		Expect(err).NotTo(HaveOccurred())
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		smp = dead.Check(cctx)
		Expect(smp.OK).To(BeFalse())
		Expect(smp.Detail).To(ContainSubstring("198.19.0.77:623"))
		Expect(smp.Detail).NotTo(ContainSubstring(simPassword))
	})
})

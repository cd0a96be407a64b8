package session_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/session"

	_ "github.com/faultline/faultline/faults/actions"
)

func waitPlan() *engine.Plan {
	exp, err := experiments.Parse("wait.yaml", []byte("version: 1\nname: wait\nsteps:\n  - {name: w, action: wait, with: {duration: 10ms}}\nobserve: 2s\n"))
	Expect(err).NotTo(HaveOccurred())
	plan, err := engine.NewPlan(exp, "wait")
	Expect(err).NotTo(HaveOccurred())
	Expect(plan.Preflight(context.Background())).To(Succeed())
	return plan
}

var _ = Describe("the halt file", func() {
	It("is 0600, survives as a file, and is never written through a symlink", func() {
		state := GinkgoT().TempDir()
		Expect(session.Halted(state)).To(BeNil())
		h, err := session.SetHalt(state, "maintenance")
		Expect(err).NotTo(HaveOccurred())
		st, err := os.Lstat(session.HaltPath(state))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		got := session.Halted(state)
		Expect(got).NotTo(BeNil())
		Expect(got.Reason).To(Equal("maintenance"))
		Expect(got.At.Unix()).To(Equal(h.At.Unix()))
		had, err := session.ClearHalt(state)
		Expect(err).NotTo(HaveOccurred())
		Expect(had).To(BeTrue())

		victim := filepath.Join(GinkgoT().TempDir(), "victim")
		Expect(os.WriteFile(victim, []byte("keep"), 0o644)).To(Succeed())
		Expect(os.Symlink(victim, session.HaltPath(state))).To(Succeed())
		_, err = session.SetHalt(state, "x")
		Expect(err).To(HaveOccurred())
		b, _ := os.ReadFile(victim)
		Expect(string(b)).To(Equal("keep"))
		Expect(session.Halted(state)).NotTo(BeNil(), "anything at the halt path halts: fail safe")
	})
})

var _ = Describe("a session", func() {
	It("is refused while halted, injecting nothing, and is stopped by a halt within 1 s", func() {
		state, out := GinkgoT().TempDir(), GinkgoT().TempDir()
		_, err := session.SetHalt(state, "stop")
		Expect(err).NotTo(HaveOccurred())
		o := session.Run(context.Background(), waitPlan(), session.Config{StateDir: state, OutDir: filepath.Join(out, "a")})
		Expect(o.Exit).To(Equal(exitcode.Aborted))
		Expect(o.Status).To(Equal(session.StatusRefused))
		Expect(o.Err).To(MatchError(session.ErrHalted))
		Expect(filepath.Join(out, "a", "journal.jsonl")).NotTo(BeAnExistingFile())

		_, err = session.ClearHalt(state)
		Expect(err).NotTo(HaveOccurred())
		haltAt := make(chan time.Time, 1)
		go func() {
			defer GinkgoRecover()
			// Halt a live run once its journal exists (its guard may still be
			// coming up: the halt then stops it before its method).
			Eventually(filepath.Join(out, "b", "journal.jsonl"), "10s", "5ms").Should(BeAnExistingFile())
			time.Sleep(100 * time.Millisecond)
			h, err := session.SetHalt(state, "stop now")
			Expect(err).NotTo(HaveOccurred())
			haltAt <- h.At
		}()
		o = session.Run(context.Background(), waitPlan(), session.Config{StateDir: state, OutDir: filepath.Join(out, "b")})
		Expect(time.Since(<-haltAt)).To(BeNumerically("<", time.Second), "ended within 1 s of the halt")
		Expect(o.Exit).To(Equal(exitcode.Aborted))
		Expect(o.Status).To(Equal("aborted"))
		Expect(o.Halt).NotTo(BeNil())
		Expect(o.Report).NotTo(BeNil())
		Expect(o.Files).To(ContainElement("report.json"))
		Expect(filepath.Join(out, "b", "guard.log")).To(BeARegularFile())

		o = session.Run(context.Background(), waitPlan(), session.Config{StateDir: state, OutDir: filepath.Join(out, "b")})
		Expect(o.Exit).To(Equal(exitcode.Aborted), "still halted")
		_, _ = session.ClearHalt(state)
		o = session.Run(context.Background(), waitPlan(), session.Config{StateDir: state, OutDir: filepath.Join(out, "b")})
		Expect(o.Exit).To(Equal(exitcode.Invalid), "an output directory with a journal is refused")
	})
})

package engine_test

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
)

var _ = Describe("target locks", func() {
	link := faults.Target{Kind: "link", ID: "netns:fl-x/eth0"}
	bridge := faults.Target{Kind: "bridge", ID: "netns:fl-x/br0"}

	It("refuses a second run on a held target, naming the first, and takes none of its targets", func() {
		state := GinkgoT().TempDir()
		first, err := engine.LockTargets(state, "run-one", []faults.Target{link})
		Expect(err).NotTo(HaveOccurred())
		defer first.Release()

		_, err = engine.LockTargets(state, "run-two", []faults.Target{bridge, link})
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err).To(MatchError(engine.ErrTargetBusy))
		Expect(err.Error()).To(ContainSubstring("link netns:fl-x/eth0 is held by run run-one"))
		// All or nothing: the bridge it got first was let go.
		third, err := engine.LockTargets(state, "run-three", []faults.Target{bridge})
		Expect(err).NotTo(HaveOccurred())
		third.Release()

		first.Release()
		second, err := engine.LockTargets(state, "run-two", []faults.Target{bridge, link})
		Expect(err).NotTo(HaveOccurred())
		second.Release()
	})

	It("frees the lock of a run that was SIGKILLed: no stale lock outlives its holder", func() {
		state := GinkgoT().TempDir()
		held, err := engine.LockTargets(state, "dead-run", []faults.Target{link})
		Expect(err).NotTo(HaveOccurred())
		files, _ := filepath.Glob(filepath.Join(engine.LocksDir(state), "*.lock"))
		Expect(files).To(HaveLen(1))
		// Hand the lock to another process, as run hands it to its guard, then kill it.
		cmd := exec.Command("sleep", "60")
		cmd.ExtraFiles = held.Files()
		Expect(cmd.Start()).To(Succeed())
		held.Release()
		_, err = engine.LockTargets(state, "next-run", []faults.Target{link})
		Expect(err).To(MatchError(ContainSubstring("held by run dead-run")), "the child still holds it")
		Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		_ = cmd.Wait()
		Eventually(func() error {
			l, err := engine.LockTargets(state, "next-run", []faults.Target{link})
			l.Release()
			return err
		}, 2*time.Second, 10*time.Millisecond).Should(Succeed())
	})
})

package guard_test

import (
	"context"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/journal"
)

var _ = Describe("guard and the journal it reads", Serial, func() {
	It("refuses a journal others may write, names it, and touches nothing", func() {
		ns, before, jpath := cutInNs()
		Expect(os.Chmod(jpath, 0o666)).To(Succeed())
		cut, err := netfault.SnapshotNetns(context.Background(), ns)
		Expect(err).NotTo(HaveOccurred())
		runner, g := socketPair()
		done := serve(g, jpath, 300*time.Millisecond)
		buf := make([]byte, 1)
		_, err = runner.Read(buf)
		Expect(err).NotTo(HaveOccurred())
		runner.Close()
		var o guard.Outcome
		Eventually(done, 3*time.Second).Should(Receive(&o))
		Expect(o.Err).To(MatchError(journal.ErrUntrustedFile))
		Expect(o.Err).To(MatchError(ContainSubstring(jpath)))
		Expect(o.Actions).NotTo(BeEmpty())
		Expect(o.Actions[0].Outcome).To(Equal(engine.OutcomeRefused))
		after, err := netfault.SnapshotNetns(context.Background(), ns)
		Expect(err).NotTo(HaveOccurred())
		Expect(after.Diff(cut)).To(BeEmpty(), "the guard acted on an untrusted journal")
		Expect(after.Diff(before)).NotTo(BeEmpty())
	})
})

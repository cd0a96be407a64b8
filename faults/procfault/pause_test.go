package procfault_test

import (
	"fmt"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

var _ = Describe("process.pause", func() {
	stopped := func(c *child) func() string { return func() string { return state(c.PID) } }

	It("stops the selection at inject and continues it at revert, idempotently", func() {
		m := marker()
		cs := sleeps(2, m)
		f := mustBuild("process.pause", map[string]any{"cmdline": markerRe(m)})
		_, err := f.Prepare(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx())).To(Succeed())
		for _, c := range cs {
			Eventually(stopped(c), 5*time.Second).Should(Equal("T"))
		}
		Expect(f.Revert(ctx())).To(Succeed())
		for _, c := range cs {
			Eventually(stopped(c), 5*time.Second).Should(Equal("S"))
		}
		Expect(f.Revert(ctx())).To(Succeed())
		Expect(state(cs[0].PID)).To(Equal("S"))
	})

	It("is continued from its undo record by a fresh process, as recover does", func() {
		ns := netns()
		m := marker()
		c := spawn("ip", "netns", "exec", ns, "sleep", m)
		f := mustBuild("process.pause", map[string]any{"cmdline": markerRe(m), "netns": ns})
		undo, err := f.Prepare(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(stopped(c), 5*time.Second).Should(Equal("T"))

		// The injector is gone: only the journalled record remains.
		Expect(faults.TrustUndo(undo)).To(Succeed())
		Expect(faults.RevertUndo(ctx(), undo)).To(Succeed())
		Eventually(stopped(c), 5*time.Second).Should(Equal("S"))
		Expect(faults.RevertUndo(ctx(), undo)).To(Succeed(), "idempotent")

		// A record whose process has exited reverts cleanly.
		Expect(syscall.Kill(c.PID, syscall.SIGKILL)).To(Succeed())
		Eventually(c.Done, 5*time.Second).Should(BeClosed())
		Expect(faults.RevertUndo(ctx(), undo)).To(Succeed())
	})

	It("never continues a recorded PID whose start time does not match", func() {
		m := marker()
		c := spawn("sleep", m)
		Expect(syscall.Kill(c.PID, syscall.SIGSTOP)).To(Succeed())
		Eventually(stopped(c), 5*time.Second).Should(Equal("T"))
		forged := fmt.Sprintf(`{"selector":"forged","procs":[{"pid":%d,"start":%d,"comm":"sleep"}]}`,
			c.PID, startTime(c.PID)+1)
		undo := faults.Undo{Kind: "process.pause", Params: []byte(forged)}
		Expect(faults.TrustUndo(undo)).To(Succeed())
		Expect(faults.RevertUndo(ctx(), undo)).To(Succeed())
		Consistently(stopped(c), 300*time.Millisecond).Should(Equal("T"))

		// And never stops one at inject.
		Expect(syscall.Kill(c.PID, syscall.SIGCONT)).To(Succeed())
		Eventually(stopped(c), 5*time.Second).Should(Equal("S"))
		f, err := procfaultWithRecord("process.pause", map[string]any{"cmdline": markerRe(m)}, forged)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx())).To(MatchError(ContainSubstring("start time changed")))
		Consistently(stopped(c), 300*time.Millisecond).Should(Equal("S"))
	})
})

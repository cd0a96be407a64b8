package main_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nsutil"
)

// guardReadyAt is when the run's guard said it held the lease, from its
// log; false when it never did (its runner was gone before it could).
func guardReadyAt(out string) (time.Time, bool) { return guardLogAt(out, ": holding the lease") }

var _ = Describe("a fault that lands before its guard is up", Serial, func() {
	It("is injected without waiting for the guard, and a runner SIGKILLed then is still reverted by the guard", func() {
		prefix := miniTopology()
		ns := prefix + "-server"
		state := GinkgoT().TempDir()
		exp := writeFile(GinkgoT().TempDir(), "early.yaml", fmt.Sprintf(`version: 1
name: early
steps:
  - {name: cut, fault: link.down, with: {netns: %s, link: eth0}, at: 0s, duration: 30s}
safety: {guardTTL: 500ms}
`, ns))
		index, err := linkIndex(ns, "eth0")
		Expect(err).NotTo(HaveOccurred())
		sub, err := subscribeLink(ns, index)
		Expect(err).NotTo(HaveOccurred())
		defer sub.close()

		early := 0
		for i := 0; i < 5; i++ {
			out := filepath.Join(GinkgoT().TempDir(), "run")
			cmd := exec.Command(bin, "--state-dir", state, "run", "--no-progress", "--out", out, exp)
			sub.drain()
			Expect(cmd.Start()).To(Succeed())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			down, ok := sub.next(exited, false)
			Expect(ok).To(BeTrue(), "the link went down")
			// Killed the moment the fault is seen: the guard may still be
			// starting, with the undo record already in the journal.
			Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
			<-exited
			up, ok := sub.next(nil, true)
			Expect(ok).To(BeTrue(), "the guard brought the link back")
			Expect(up.Sub(down)).To(BeNumerically("<", 500*time.Millisecond+time.Second), "within guardTTL (plus start-up slack)")
			ready, said := guardReadyAt(out)
			if !said || ready.After(down) {
				early++
			}
			Eventually(func() bool { return locksFree(state) }, 2*time.Second, 5*time.Millisecond).Should(BeTrue())
			j, err := journal.ReadFile(filepath.Join(out, "journal.jsonl"))
			Expect(err).NotTo(HaveOccurred())
			Expect(j.OpenUndos()).To(BeEmpty())
			last := j.Steps[len(j.Steps)-1]
			Expect(last.Ev).To(Equal(journal.EvReverted))
			Expect(last.By).To(Equal("guard"))
		}
		AddReportEntry("fault before guard ready", fmt.Sprintf("%d of 5 faults landed before the guard held its lease", early))
		// The run does not wait for its guard: on any machine where a
		// process start takes milliseconds the fault lands first.
		Expect(early).To(BeNumerically(">=", 1), "the fault landed before the guard held its lease at least once")
	})
})

// linkIndex is the index of a link in a namespace.
func linkIndex(ns, link string) (int, error) {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

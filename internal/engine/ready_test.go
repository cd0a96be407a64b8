package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nsutil"
)

// cutAt0 cuts the server's NIC at the method's start.
func cutAt0(t *miniTopo) *engine.Plan {
	src := fmt.Sprintf(`version: 1
name: ready
steps:
  - {name: cut, fault: link.down, with: {netns: %s, link: eth0}, at: 0s, duration: 50ms}
  - {name: mark, action: wait, with: {duration: 1ms}, at: 0s}
`, t.Server)
	exp, err := experiments.Parse("ready.yaml", []byte(src))
	Expect(err).NotTo(HaveOccurred())
	plan, err := engine.NewPlan(exp, "ready")
	Expect(err).NotTo(HaveOccurred())
	return plan
}

func serverUp(t *miniTopo) bool {
	h, err := nsutil.Handle(t.Server)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName("eth0")
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

func stepEvent(j *journal.Run, step, ev string) *journal.StepRec {
	for i := range j.Steps {
		if j.Steps[i].Step == step && j.Steps[i].Ev == ev {
			return &j.Steps[i]
		}
	}
	return nil
}

var _ = Describe("a run gets ready before its method starts", Serial, func() {
	var t *miniTopo
	BeforeEach(func() {
		t = newMiniTopo()
	})

	It("arms the guard, then fsyncs the undo record of a step at 0s before the moment, then starts the method", func() {
		ctx := context.Background()
		var armedAt atomic.Int64
		release := make(chan struct{})
		done := make(chan *engine.Result, 1)
		start := time.Now()
		out, state := GinkgoT().TempDir(), GinkgoT().TempDir()
		go func() {
			defer GinkgoRecover()
			done <- engine.Run(ctx, cutAt0(t), engine.Options{OutDir: out, StateDir: state,
				Heartbeat: func() error { return nil },
				Armed: func(context.Context) error {
					<-release
					armedAt.Store(int64(time.Since(start)))
					return nil
				}})
		}()
		// While the guard is not armed, nothing lands and no undo record
		// is written (there is nothing a guard would have to revert).
		Consistently(func() bool { return serverUp(t) }, 300*time.Millisecond, 10*time.Millisecond).Should(BeTrue())
		Expect(filepath.Join(out, "journal.jsonl")).To(BeAnExistingFile(), "the run got going meanwhile")
		early, err := journal.ReadFile(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(early.Steps).To(BeEmpty())
		// Nor is the run registered for recovery: a runner dying now,
		// before its guard exists, must leave no link behind that no
		// guard would clean up.
		registered, _ := os.ReadDir(engine.ActiveDir(state))
		Expect(registered).To(BeEmpty())
		close(release)
		res := <-done
		Expect(res.Exit).To(Equal(exitcode.Passed), "%v", res.Err)
		j := res.Journal
		method := j.Phases[journal.PhaseMethod]
		prepared := stepEvent(j, "cut", journal.EvPrepared)
		Expect(prepared).NotTo(BeNil())
		Expect(prepared.Undo).NotTo(BeNil())
		Expect(prepared.At).To(BeNumerically("<", method), "the undo record is written before the moment")
		Expect(time.Duration(armedAt.Load())).To(BeNumerically("<", j.Header.Wall.Add(method).Sub(start)+time.Millisecond),
			"the method starts once the guard is armed")
		injected := stepEvent(j, "cut", journal.EvInjected)
		Expect(injected).NotTo(BeNil())
		Expect(injected.At).To(BeNumerically(">=", method))
		// The action due at the same moment started with it.
		Expect(stepEvent(j, "mark", journal.EvStarted).At).To(BeNumerically("~", injected.At, 5*time.Millisecond))
		Expect(serverUp(t)).To(BeTrue())
	})

	It("is aborted, not broken, when stopped while the guard comes up", func() {
		ctx, cancel := context.WithCancelCause(context.Background())
		res := engine.Run(ctx, cutAt0(t), engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir(),
			Heartbeat: func() error { return nil },
			Armed: func(ctx context.Context) error {
				cancel(errors.New("halted by the operator"))
				<-ctx.Done()
				return ctx.Err()
			}})
		Expect(res.Exit).To(Equal(exitcode.Aborted), "%v", res.Err)
		Expect(res.Journal.Aborts).NotTo(BeEmpty())
		Expect(res.Journal.Aborts[0].Reason).To(Equal("halted by the operator"))
		Expect(stepEvent(res.Journal, "cut", journal.EvInjected)).To(BeNil())
		Expect(serverUp(t)).To(BeTrue())
	})

	It("injects nothing when the guard never comes up, and says so", func() {
		res := engine.Run(context.Background(), cutAt0(t), engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir(),
			Heartbeat: func() error { return nil },
			Armed:     func(context.Context) error { return errors.New("no lease") }})
		Expect(res.Exit).To(Equal(exitcode.Infra))
		Expect(res.Err).To(MatchError(ContainSubstring("guard: no lease; nothing was injected")))
		Expect(stepEvent(res.Journal, "cut", journal.EvInjected)).To(BeNil())
		Expect(stepEvent(res.Journal, "mark", journal.EvStarted)).To(BeNil())
		Expect(serverUp(t)).To(BeTrue())
	})
})

var _ = Describe("a slow injection", func() {
	It("does not delay the next step (test.slow takes 400 ms)", func() {
		exp, err := experiments.Parse("slow.yaml", []byte(`version: 1
name: slow
steps:
  - {name: slow, fault: test.slow, at: 0s}
  - {name: next, fault: test.slow, at: 100ms}
`))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "slow")
		Expect(err).NotTo(HaveOccurred())
		res := engine.Run(context.Background(), plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		Expect(res.Exit).To(Equal(exitcode.Passed), "%v", res.Err)
		method := res.Journal.Phases[journal.PhaseMethod]
		next := stepEvent(res.Journal, "next", journal.EvInjected)
		Expect(next.At - method).To(BeNumerically("~", 100*time.Millisecond, 50*time.Millisecond))
	})
})

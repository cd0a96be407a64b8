package engine_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/verify"
)

// slowFault takes 400 ms to inject, like hypervisor.destroy waiting for QEMU.
type slowFault struct{ reverts *atomic.Int32 }

func (slowFault) Describe() string         { return "slow fault" }
func (slowFault) Targets() []faults.Target { return nil }
func (slowFault) Prepare(context.Context) (faults.Undo, error) {
	return faults.Undo{Kind: "test.slow"}, nil
}
func (slowFault) Inject(context.Context) error   { time.Sleep(400 * time.Millisecond); return nil }
func (f slowFault) Revert(context.Context) error { f.reverts.Add(1); return nil }

var slowReverts atomic.Int32

func init() {
	faults.Register(faults.Kind{Name: "test.slow",
		NewFault: func(json.RawMessage) (faults.Fault, error) { return slowFault{&slowReverts}, nil },
		Revert:   func(context.Context, json.RawMessage) error { return nil }})
}

var _ = Describe("steps due at the same moment", func() {
	It("are injected at once: a slow fault does not delay the next one", func() {
		exp, err := experiments.Parse("c.yaml", []byte(`version: 1
name: concurrent
steps:
  - {name: slow, fault: test.slow, at: 100ms}
  - {name: quick, fault: test.slow, at: 100ms}
observe: 100ms
`))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "c")
		Expect(err).NotTo(HaveOccurred())
		slowReverts.Store(0)
		res := engine.Run(context.Background(), plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		Expect(res.Exit).To(Equal(exitcode.Passed), "%v", res.Err)
		tl := verify.TimelineOf(res.Journal)
		Expect(tl.Steps["quick"].Inject - tl.Steps["slow"].Inject).To(BeNumerically("<", 100*time.Millisecond))
		Expect(tl.Steps["slow"].InjectDone - tl.Steps["slow"].Inject).To(BeNumerically(">=", 400*time.Millisecond))
		Expect(slowReverts.Load()).To(Equal(int32(2)))
		Expect(res.Journal.OpenUndos()).To(BeEmpty())
		for _, s := range res.Journal.Steps {
			Expect(s.Ev).NotTo(Equal(journal.EvFailed))
		}
	})
})

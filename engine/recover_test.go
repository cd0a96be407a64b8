package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/journal"
	"github.com/faultline/faultline/nsutil"
)

var _ = Describe("recover", Serial, func() {
	It("reverts the open undo records of a run that died, once, and closes them", func() {
		t := newMiniTopo()
		before := t.snapshot()
		state := GinkgoT().TempDir()
		out := GinkgoT().TempDir()

		// A run that prepared and injected a fault, then died.
		kind, ok := faults.Lookup("link.down")
		Expect(ok).To(BeTrue())
		params, _ := json.Marshal(map[string]any{"netns": t.Server, "link": "eth0"})
		f, err := kind.NewFault(params)
		Expect(err).NotTo(HaveOccurred())
		ctx := context.Background()
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		jw, err := journal.Create(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(jw.Header(journal.Header{Run: "dead-run", Experiment: &experiments.Experiment{Version: 1, Name: "dead"}, Wall: time.Now()})).To(Succeed())
		Expect(jw.Step(journal.StepRec{Step: "cut", Ev: journal.EvPrepared, Undo: &undo, Revert: "auto"})).To(Succeed())
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(jw.Step(journal.StepRec{Step: "cut", Ev: journal.EvInjected, At: time.Millisecond})).To(Succeed())
		Expect(jw.Close()).To(Succeed())
		Expect(os.MkdirAll(engine.ActiveDir(state), 0o755)).To(Succeed())
		Expect(os.Symlink(filepath.Join(out, "journal.jsonl"), filepath.Join(engine.ActiveDir(state), "dead-run.jsonl"))).To(Succeed())

		h, err := nsutil.Handle(t.Server)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		l, err := h.LinkByName("eth0")
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Attrs().Flags&1).To(BeZero(), "the fault is in place")

		acts, err := engine.Recover(ctx, state, nil, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(HaveLen(1))
		Expect(acts[0].Outcome).To(Equal("would revert"))

		acts, err = engine.Recover(ctx, state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(HaveLen(1))
		Expect(acts[0].Outcome).To(Equal("reverted"))
		expectSameSnapshots(before, t.snapshot())

		// Idempotent: nothing left to do, the pointer is gone, the journal says who reverted.
		acts, err = engine.Recover(ctx, state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(BeEmpty())
		run, err := journal.ReadFile(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(BeEmpty())
		Expect(run.Steps[len(run.Steps)-1].By).To(Equal("recover"))
	})
})

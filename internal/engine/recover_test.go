package engine_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/vishvananda/netlink"
)

var _ = Describe("recover", Serial, func() {
	It("reverts the open undo records of a run that died, once, and closes them", func() {
		t := newMiniTopo()
		before := t.Snapshot()
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
		expectSameSnapshots(before, t.Snapshot())

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

var _ = Describe("recover after the target restarted", Serial, func() {
	It("closes the records of a recreated namespace without touching the new one", func() {
		t := newMiniTopo()
		ctx := context.Background()
		state, out := GinkgoT().TempDir(), GinkgoT().TempDir()
		jpath := filepath.Join(out, "journal.jsonl")
		jw, err := journal.Create(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(jw.Header(journal.Header{Run: "old-run", Experiment: &experiments.Experiment{Version: 1, Name: "old"}, Wall: time.Now()})).To(Succeed())
		// Three kinds of undo record, all in the server's namespace, all injected.
		for _, f := range []struct{ step, kind string }{
			{"cut", "link.down"}, {"part", "net.partition"}, {"slow", "net.bandwidth"},
		} {
			params := map[string]any{"netns": t.Server, "link": "eth0"}
			switch f.kind {
			case "net.partition":
				params = map[string]any{"netns": t.Server, "a": []string{"198.18.100.1"}, "b": []string{"198.18.100.2"}, "table": "faultline-old-part"}
			case "net.bandwidth":
				params["rate"] = "1mbit"
			}
			kind, ok := faults.Lookup(f.kind)
			Expect(ok).To(BeTrue())
			raw, _ := json.Marshal(params)
			fault, err := kind.NewFault(raw)
			Expect(err).NotTo(HaveOccurred())
			undo, err := fault.Prepare(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(jw.Step(journal.StepRec{Step: f.step, Ev: journal.EvPrepared, Undo: &undo, Revert: "auto"})).To(Succeed())
			Expect(fault.Inject(ctx)).To(Succeed())
		}
		Expect(jw.Close()).To(Succeed())

		// Someone restarts the server: a new namespace of the same name, with
		// its own eth0, deliberately down, and no address.
		Expect(nsutil.Delete(t.Server)).To(Succeed())
		Expect(nsutil.Create(t.Server)).To(Succeed())
		h, err := nsutil.Handle(t.Server)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth0p"})).To(Succeed())
		fresh, err := netfault.SnapshotNetns(ctx, t.Server)
		Expect(err).NotTo(HaveOccurred())

		acts, err := engine.Recover(ctx, state, []string{jpath}, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(HaveLen(3))
		for _, a := range acts {
			Expect(a.Outcome).To(Equal(engine.OutcomeWouldClose), a.Step)
		}

		acts, err = engine.Recover(ctx, state, []string{jpath}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(HaveLen(3))
		for _, a := range acts {
			Expect(a.Outcome).To(Equal(engine.OutcomeGone), a.Step)
			Expect(a.Error).To(ContainSubstring("was recreated"))
		}
		after, err := netfault.SnapshotNetns(ctx, t.Server)
		Expect(err).NotTo(HaveOccurred())
		Expect(after.Diff(fresh)).To(BeEmpty(), "the new namespace was touched")
		l, err := h.LinkByName("eth0")
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Attrs().Flags&net.FlagUp).To(BeZero(), "the new eth0 stays as its owner left it")

		// Closed, not retried forever.
		acts, err = engine.Recover(ctx, state, []string{jpath}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(BeEmpty())
	})
})

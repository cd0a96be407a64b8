package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"

	_ "github.com/faultline/faultline/faults/actions"
)

var _ = Describe("an abort during an exec action whose child keeps the pipes open", Serial, func() {
	It("reverts the faults at once and ends aborted (exit 3), not in error", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		src := fmt.Sprintf(`version: 1
name: abort-exec
probes:
  web:
    http: {url: "http://198.18.100.2/", status: 200, timeout: 20ms}
    every: 10ms
    netns: %s
steadyState:
  - {probe: web, for: 200ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %s, link: eth0}
  - name: busy
    action: exec
    with: {command: ["sh", "-c", "sleep 30 & echo started; sleep 30"], timeout: 60s}
    wait: 0s
observe: 100ms
`, t.Client, t.Server)
		exp, err := experiments.Parse("abort.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "abort")
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan *engine.Result, 1)
		go func() {
			defer GinkgoRecover()
			done <- engine.Run(ctx, plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		}()
		Eventually(func() bool { return serverEth0Up(t) }).WithTimeout(10 * time.Second).
			WithPolling(5 * time.Millisecond).Should(BeFalse())
		time.Sleep(300 * time.Millisecond)
		cancel() // what SIGINT does
		t0 := time.Now()
		Eventually(func() bool { return serverEth0Up(t) }).WithTimeout(3 * time.Second).
			WithPolling(5 * time.Millisecond).Should(BeTrue())
		GinkgoWriter.Printf("fault reverted %s after the abort\n", time.Since(t0))
		Expect(time.Since(t0)).To(BeNumerically("<", 1500*time.Millisecond))
		var res *engine.Result
		Eventually(done).WithTimeout(5 * time.Second).Should(Receive(&res))
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Status).To(Equal(journal.StatusAborted))
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		expectSameSnapshots(before, t.Snapshot())
	})
})

var _ = Describe("a reused output directory", func() {
	It("is invalid usage (exit 2), and the run in it is left as it was", func() {
		exp, err := experiments.Parse("reuse.yaml", []byte(`version: 1
name: reuse
probes:
  self: {tcp: {address: "198.18.0.1:1", timeout: 10ms}}
steps:
  - {name: cut, fault: link.down, with: {netns: fl-nowhere, link: eth0}}
`))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "reuse")
		Expect(err).NotTo(HaveOccurred())
		out := GinkgoT().TempDir()
		old := []byte(`{"t":"run","format":1,"run":"earlier"}` + "\n")
		Expect(os.WriteFile(filepath.Join(out, "journal.jsonl"), old, 0o600)).To(Succeed())
		res := engine.Run(context.Background(), plan, engine.Options{OutDir: out, StateDir: GinkgoT().TempDir()})
		Expect(res.Exit).To(Equal(exitcode.Invalid))
		Expect(res.Err).To(MatchError(ContainSubstring("already holds a run")))
		b, err := os.ReadFile(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(b).To(Equal(old))
	})
})

// stubbornAction ignores its context for a while, as an action in the
// middle of something it cannot stop at once does.
type stubbornAction struct{}

func (stubbornAction) Describe() string         { return "stubborn" }
func (stubbornAction) Targets() []faults.Target { return nil }
func (stubbornAction) Run(ctx context.Context) (faults.Result, error) {
	time.Sleep(3 * time.Second)
	return nil, ctx.Err()
}

func init() {
	faults.Register(faults.Kind{Name: "test.stubborn", Doc: "spec only: ignores an abort for 3 s",
		NewAction: func(json.RawMessage) (faults.Action, error) { return stubbornAction{}, nil }})
}

var _ = Describe("an abort during an action that does not stop at once", Serial, func() {
	It("reverts the faults without waiting for the action, then ends aborted (exit 3)", func() {
		t := newMiniTopo()
		before := t.Snapshot()
		src := fmt.Sprintf(`version: 1
name: abort-stubborn
probes:
  web:
    http: {url: "http://198.18.100.2/", status: 200, timeout: 20ms}
    every: 10ms
    netns: %s
steadyState:
  - {probe: web, for: 200ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %s, link: eth0}
  - name: busy
    action: test.stubborn
    wait: 0s
observe: 100ms
`, t.Client, t.Server)
		exp, err := experiments.Parse("stubborn.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "stubborn")
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan *engine.Result, 1)
		go func() {
			defer GinkgoRecover()
			done <- engine.Run(ctx, plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		}()
		Eventually(func() bool { return serverEth0Up(t) }).WithTimeout(10 * time.Second).
			WithPolling(5 * time.Millisecond).Should(BeFalse())
		time.Sleep(200 * time.Millisecond)
		cancel()
		t0 := time.Now()
		Eventually(func() bool { return serverEth0Up(t) }).WithTimeout(3 * time.Second).
			WithPolling(5 * time.Millisecond).Should(BeTrue())
		GinkgoWriter.Printf("fault reverted %s after the abort, the action still running\n", time.Since(t0))
		Expect(time.Since(t0)).To(BeNumerically("<", time.Second))
		var res *engine.Result
		Eventually(done).WithTimeout(6 * time.Second).Should(Receive(&res))
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Aborted))
		expectSameSnapshots(before, t.Snapshot())
	})
})

package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/procid"
)

func serverEth0Up(t *miniTopo) bool {
	GinkgoHelper()
	h, err := nsutil.Handle(t.Server)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName("eth0")
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

// deadRun writes the journal of a run that cut the server's eth0 and
// registers it under state, as a run killed mid-cut leaves it. runner
// names the process that wrote it.
func deadRun(t *miniTopo, state, runID string, runner *procid.ID, tamper func(*faults.Undo)) string {
	GinkgoHelper()
	kind, ok := faults.Lookup("link.down")
	Expect(ok).To(BeTrue())
	params, _ := json.Marshal(map[string]any{"netns": t.Server, "link": "eth0"})
	f, err := kind.NewFault(params)
	Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	undo, err := f.Prepare(ctx)
	Expect(err).NotTo(HaveOccurred())
	jpath := filepath.Join(GinkgoT().TempDir(), "journal.jsonl")
	jw, err := journal.Create(jpath)
	Expect(err).NotTo(HaveOccurred())
	Expect(jw.Header(journal.Header{Run: runID, Experiment: &experiments.Experiment{Version: 1, Name: "dead"},
		Wall: time.Now(), Runner: runner})).To(Succeed())
	if tamper != nil {
		tamper(&undo)
	}
	Expect(jw.Step(journal.StepRec{Step: "cut", Ev: journal.EvPrepared, Undo: &undo, Revert: "auto"})).To(Succeed())
	Expect(f.Inject(ctx)).To(Succeed())
	DeferCleanup(func() { _ = f.Revert(context.Background()) })
	Expect(jw.Step(journal.StepRec{Step: "cut", Ev: journal.EvInjected, At: time.Millisecond})).To(Succeed())
	Expect(jw.Close()).To(Succeed())
	Expect(os.MkdirAll(engine.ActiveDir(state), 0o700)).To(Succeed())
	Expect(os.Symlink(jpath, filepath.Join(engine.ActiveDir(state), runID+".jsonl"))).To(Succeed())
	return jpath
}

// exitedProcess is the identity of a process that has exited.
func exitedProcess() *procid.ID {
	GinkgoHelper()
	cmd := exec.Command("sleep", "0.05")
	Expect(cmd.Start()).To(Succeed())
	id, err := procid.Of(cmd.Process.Pid)
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Wait()).To(Succeed())
	return &id
}

func registered(state, runID string) bool {
	_, err := os.Lstat(filepath.Join(engine.ActiveDir(state), runID+".jsonl"))
	return err == nil
}

var _ = Describe("recover while a run is alive", Serial, func() {
	It("leaves a live run's link.down and registration alone, says so, and the run ends as it would", func() {
		t := newMiniTopo()
		state := GinkgoT().TempDir()
		src := fmt.Sprintf(`version: 1
name: live-cut
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
    duration: 3s
observe: 100ms
verify:
  - {probe: web, never: ok, during: cut}
`, t.Client, t.Server)
		exp, err := experiments.Parse("live.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		plan, err := engine.NewPlan(exp, "live")
		Expect(err).NotTo(HaveOccurred())
		done := make(chan *engine.Result, 1)
		go func() {
			defer GinkgoRecover()
			done <- engine.Run(context.Background(), plan, engine.Options{OutDir: GinkgoT().TempDir(),
				StateDir: state, RunID: "live-cut-1"})
		}()
		Eventually(func() bool { return serverEth0Up(t) }).WithTimeout(10 * time.Second).
			WithPolling(5 * time.Millisecond).Should(BeFalse())

		for _, dry := range []bool{true, false} {
			acts, err := engine.Recover(context.Background(), state, nil, dry)
			Expect(err).NotTo(HaveOccurred())
			Expect(acts).To(HaveLen(1))
			Expect(acts[0].Run).To(Equal("live-cut-1"))
			Expect(acts[0].Outcome).To(Equal(engine.OutcomeLive))
			Expect(acts[0].Error).To(ContainSubstring("its runner runs"))
		}
		Expect(serverEth0Up(t)).To(BeFalse(), "recover put a live run's link back up")
		Expect(registered(state, "live-cut-1")).To(BeTrue(), "recover removed a live run's registration")

		res := <-done
		Expect(res.Err).NotTo(HaveOccurred())
		Expect(res.Exit).To(Equal(exitcode.Passed))
		Expect(serverEth0Up(t)).To(BeTrue())
		acts, err := engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(BeEmpty())
	})

	It("skips a run whose target lock or guard is alive, and recovers it once they are gone", func() {
		t := newMiniTopo()
		state := GinkgoT().TempDir()
		deadRun(t, state, "locked-run", exitedProcess(), nil)

		// The guard of the run still holds a target lock.
		Expect(os.MkdirAll(engine.LocksDir(state), 0o700)).To(Succeed())
		lock := filepath.Join(engine.LocksDir(state), "link_x.lock")
		Expect(os.WriteFile(lock, []byte("locked-run pid 1\nlink x\n"), 0o600)).To(Succeed())
		holder := exec.Command("flock", "-n", "-o", lock, "sh", "-c", "echo locked; exec sleep 30")
		stdout, err := holder.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(holder.Start()).To(Succeed())
		DeferCleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
		line := make([]byte, 7)
		_, err = io.ReadFull(stdout, line)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(line)).To(Equal("locked\n"))
		acts, err := engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(ConsistOf(And(
			HaveField("Outcome", engine.OutcomeLive),
			HaveField("Error", ContainSubstring("target locks are held")))))
		Expect(serverEth0Up(t)).To(BeFalse())
		Expect(registered(state, "locked-run")).To(BeTrue())

		// The lock is freed; the guard's pid file names a live process.
		Expect(holder.Process.Kill()).To(Succeed())
		_ = holder.Wait()
		guard := exec.Command("sleep", "30")
		Expect(guard.Start()).To(Succeed())
		DeferCleanup(func() { _ = guard.Process.Kill(); _ = guard.Wait() })
		gid, err := procid.Of(guard.Process.Pid)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(filepath.Dir(engine.GuardPIDFile(state, "locked-run")), 0o700)).To(Succeed())
		Expect(os.WriteFile(engine.GuardPIDFile(state, "locked-run"), []byte(gid.Format()), 0o600)).To(Succeed())
		acts, err = engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(ConsistOf(HaveField("Error", ContainSubstring("its guard runs"))))
		Expect(serverEth0Up(t)).To(BeFalse())

		// A pid file naming a live pid with another start time (a reused
		// pid) or a bare pid is not a live guard.
		self := procid.Self()
		self.Start++
		Expect(os.WriteFile(engine.GuardPIDFile(state, "locked-run"), []byte(self.Format()), 0o600)).To(Succeed())
		Expect(guard.Process.Kill()).To(Succeed())
		_ = guard.Wait()
		acts, err = engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(ConsistOf(HaveField("Outcome", engine.OutcomeReverted)))
		Expect(serverEth0Up(t)).To(BeTrue())
		Expect(registered(state, "locked-run")).To(BeFalse())
	})
})

var _ = Describe("recover refuses what it cannot trust", Serial, func() {
	It("refuses journals others may write or own, an open state folder and an inode 0 record, touching nothing", func() {
		t := newMiniTopo()
		state := GinkgoT().TempDir()
		jpath := deadRun(t, state, "crafted-run", nil, nil)
		expectRefused := func(why string) {
			GinkgoHelper()
			acts, err := engine.Recover(context.Background(), state, nil, false)
			Expect(err).To(MatchError(ContainSubstring(why)))
			Expect(acts).To(ConsistOf(HaveField("Outcome", engine.OutcomeRefused)))
			Expect(serverEth0Up(t)).To(BeFalse())
		}

		Expect(os.Chmod(jpath, 0o620)).To(Succeed())
		expectRefused(jpath + " is writable by group or others")
		Expect(os.Chmod(jpath, 0o600)).To(Succeed())
		Expect(os.Chown(jpath, 65534, 65534)).To(Succeed())
		expectRefused("owned by uid 65534")
		Expect(os.Chown(jpath, 0, 0)).To(Succeed())
		Expect(os.Chmod(engine.ActiveDir(state), 0o777)).To(Succeed())
		expectRefused(engine.ActiveDir(state))
		Expect(os.Chmod(engine.ActiveDir(state), 0o700)).To(Succeed())
		Expect(registered(state, "crafted-run")).To(BeTrue())

		acts, err := engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(ConsistOf(HaveField("Outcome", engine.OutcomeReverted)))
		Expect(serverEth0Up(t)).To(BeTrue())
	})

	It("refuses an undo record without a namespace inode", func() {
		t := newMiniTopo()
		state := GinkgoT().TempDir()
		deadRun(t, state, "inode-zero", nil, func(u *faults.Undo) {
			var m map[string]any
			Expect(json.Unmarshal(u.Params, &m)).To(Succeed())
			m["inode"] = 0
			u.Params, _ = json.Marshal(m)
		})
		for _, dry := range []bool{true, false} {
			acts, err := engine.Recover(context.Background(), state, nil, dry)
			Expect(err).To(MatchError(faults.ErrUntrusted))
			Expect(acts).To(ConsistOf(And(HaveField("Outcome", engine.OutcomeRefused),
				HaveField("Error", ContainSubstring("inode: 0")))))
		}
		Expect(serverEth0Up(t)).To(BeFalse())
		Expect(registered(state, "inode-zero")).To(BeTrue())
	})
})

var _ = Describe("recover after a run died mid-write", Serial, func() {
	It("reverts through the torn last line, and every later recover and read still works", func() {
		t := newMiniTopo()
		state := GinkgoT().TempDir()
		jpath := deadRun(t, state, "torn-run", exitedProcess(), nil)
		f, err := os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteString(`{"t":"s","p":"web","s":3,"d":[1,`)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Close()).To(Succeed())

		acts, err := engine.Recover(context.Background(), state, nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(ConsistOf(HaveField("Outcome", engine.OutcomeReverted)))
		Expect(serverEth0Up(t)).To(BeTrue())
		acts, err = engine.Recover(context.Background(), state, []string{jpath}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(acts).To(BeEmpty())
		run, err := journal.ReadFile(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Torn).To(Equal(1))
		Expect(run.OpenUndos()).To(BeEmpty())
	})
})

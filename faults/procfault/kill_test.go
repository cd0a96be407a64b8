package procfault_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

var _ = Describe("process.kill", func() {
	It("kills every process whose command line matches, with SIGKILL by default", func() {
		m := marker()
		cs := sleeps(2, m)
		other := spawn("sleep", marker())
		f := mustBuild("process.kill", map[string]any{"cmdline": markerRe(m)})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
		Expect(targetIDs(f)).To(ConsistOf(pidIDs("", "sleep", cs...)))
		Expect(f.Describe()).To(ContainSubstring(fmt.Sprintf("%d(sleep)", cs[0].PID)))
		_, err := f.Prepare(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx())).To(Succeed())
		for _, c := range cs {
			Eventually(c.Done, 5*time.Second).Should(BeClosed())
			Expect(c.signalled()).To(Equal(syscall.SIGKILL))
		}
		Expect(other.alive()).To(BeTrue())
		Expect(f.Revert(ctx())).To(Succeed(), "kill has nothing to revert")
	})

	It("selects by exact comm and sends the named signal", func() {
		dir := GinkgoT().TempDir()
		name := fmt.Sprintf("fls-%s", marker()[5:])
		bin := filepath.Join(dir, name)
		data, err := os.ReadFile("/bin/sleep")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(bin, data, 0o755)).To(Succeed())
		c := spawn(bin, "3600")
		decoy := spawn("sleep", "3600."+name[4:]) // comm "sleep": not selected
		f := mustBuild("process.kill", map[string]any{"name": name, "signal": "TERM"})
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(c.Done, 5*time.Second).Should(BeClosed())
		Expect(c.signalled()).To(Equal(syscall.SIGTERM))
		Expect(decoy.alive()).To(BeTrue())
		Expect(f.Describe()).To(ContainSubstring("SIGTERM"))
	})

	It("accepts signal numbers", func() {
		m := marker()
		c := spawn("sleep", m)
		f := mustBuild("process.kill", map[string]any{"cmdline": markerRe(m), "signal": 10})
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(c.Done, 5*time.Second).Should(BeClosed())
		Expect(c.signalled()).To(Equal(syscall.SIGUSR1))
	})

	It("selects the process a pid file names", func() {
		m := marker()
		cs := sleeps(2, m)
		pf := filepath.Join(GinkgoT().TempDir(), "daemon.pid")
		Expect(os.WriteFile(pf, []byte(fmt.Sprintf("%d\n", cs[1].PID)), 0o644)).To(Succeed())
		f := mustBuild("process.kill", map[string]any{"pidFile": pf})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
		Expect(targetIDs(f)).To(Equal(pidIDs("", "sleep", cs[1])))
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(cs[1].Done, 5*time.Second).Should(BeClosed())
		Consistently(cs[0].alive, 200*time.Millisecond).Should(BeTrue())
	})

	It("restricts the selection to a network namespace", func() {
		ns := netns()
		m := marker()
		inside := spawn("ip", "netns", "exec", ns, "sleep", m)
		outside := spawn("sleep", m)
		f := mustBuild("process.kill", map[string]any{"cmdline": markerRe(m), "netns": ns})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
		Expect(targetIDs(f)).To(Equal(pidIDs("netns:"+ns+"/", "sleep", inside)))
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(inside.Done, 5*time.Second).Should(BeClosed())
		Consistently(outside.alive, 200*time.Millisecond).Should(BeTrue())
	})

	It("keeps only the host namespace's processes with netns: host", func() {
		ns := netns()
		m := marker()
		inside := spawn("ip", "netns", "exec", ns, "sleep", m)
		outside := spawn("sleep", m)
		f := mustBuild("process.pause", map[string]any{"cmdline": markerRe(m), "netns": "host"})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
		Expect(targetIDs(f)).To(Equal(pidIDs("netns:host/", "sleep", outside)))
		Expect(inside.alive()).To(BeTrue())
	})

	It("picks the same subset for the same seed, and records a chosen seed", func() {
		m := marker()
		cs := sleeps(6, m)
		picks := func(with map[string]any) []string {
			f := mustBuild("process.kill", with)
			Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
			return targetIDs(f)
		}
		a := picks(map[string]any{"cmdline": markerRe(m), "count": 2, "seed": 7})
		Expect(a).To(HaveLen(2))
		for range 3 {
			Expect(picks(map[string]any{"cmdline": markerRe(m), "count": 2, "seed": 7})).To(Equal(a))
		}
		Expect(picks(map[string]any{"cmdline": markerRe(m), "percent": 50, "seed": 7})).To(HaveLen(3))
		// Some seed picks another pair: the seed really draws.
		differs := false
		for s := range 20 {
			if fmt.Sprint(picks(map[string]any{"cmdline": markerRe(m), "count": 2, "seed": 100 + s})) != fmt.Sprint(a) {
				differs = true
				break
			}
		}
		Expect(differs).To(BeTrue())

		// Without a seed one is chosen, recorded, and replays the pick.
		f := mustBuild("process.kill", map[string]any{"cmdline": markerRe(m), "count": 2})
		u, err := f.Prepare(ctx())
		Expect(err).NotTo(HaveOccurred())
		var rec struct {
			Seed  *int64 `json:"seed"`
			Procs []struct {
				PID   int    `json:"pid"`
				Start uint64 `json:"start"`
			} `json:"procs"`
		}
		Expect(json.Unmarshal(u.Params, &rec)).To(Succeed())
		Expect(rec.Seed).NotTo(BeNil())
		Expect(rec.Procs).To(HaveLen(2))
		Expect(picks(map[string]any{"cmdline": markerRe(m), "count": 2, "seed": *rec.Seed})).To(Equal(targetIDs(f)))

		// Injecting kills exactly the recorded two.
		Expect(f.Inject(ctx())).To(Succeed())
		killed := map[int]bool{}
		for _, p := range rec.Procs {
			Expect(p.Start).NotTo(BeZero())
			killed[p.PID] = true
		}
		for _, c := range cs {
			if killed[c.PID] {
				Eventually(c.Done, 5*time.Second).Should(BeClosed())
			} else {
				Consistently(c.alive, 50*time.Millisecond).Should(BeTrue())
			}
		}
	})

	It("never signals a recorded PID whose start time does not match", func() {
		m := marker()
		c := spawn("sleep", m)
		forged := fmt.Sprintf(`{"selector":"forged","procs":[{"pid":%d,"start":%d,"comm":"sleep"}]}`,
			c.PID, startTime(c.PID)+1)
		f, err := procfaultWithRecord("process.kill", map[string]any{"cmdline": markerRe(m)}, forged)
		Expect(err).NotTo(HaveOccurred())
		err = f.Inject(ctx())
		Expect(err).To(MatchError(ContainSubstring("start time changed")))
		Expect(f.Describe()).To(ContainSubstring(fmt.Sprintf("skipped pid %d", c.PID)))
		Consistently(c.alive, 300*time.Millisecond).Should(BeTrue())
	})

	It("signals nothing twice, and reports a recorded process that already exited", func() {
		m := marker()
		cs := sleeps(2, m)
		f := mustBuild("process.kill", map[string]any{"cmdline": markerRe(m), "signal": "SIGUSR1"})
		_, err := f.Prepare(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(syscall.Kill(cs[0].PID, syscall.SIGKILL)).To(Succeed())
		Eventually(cs[0].Done, 5*time.Second).Should(BeClosed())
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(cs[1].Done, 5*time.Second).Should(BeClosed())
		Expect(cs[1].signalled()).To(Equal(syscall.SIGUSR1))
		Expect(f.Describe()).To(ContainSubstring(fmt.Sprintf("skipped pid %d", cs[0].PID)))
		Expect(f.Inject(ctx())).To(Succeed(), "a second inject returns the first result")
	})

	It("fails preflight on an empty selection, naming the selector", func() {
		f := mustBuild("process.kill", map[string]any{"cmdline": "^no-such-process-" + marker() + "$"})
		err := f.(faults.Preflighter).Preflight(ctx())
		Expect(err).To(MatchError(faults.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(`cmdline "^no-such-process-`))
		_, err = f.Prepare(ctx())
		Expect(err).To(MatchError(faults.ErrNotFound))

		f = mustBuild("process.kill", map[string]any{"name": "sleep", "netns": "fl-pf-missing-" + marker()[5:]})
		err = f.(faults.Preflighter).Preflight(ctx())
		Expect(err).To(MatchError(faults.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(`netns "fl-pf-missing-`))

		f = mustBuild("process.kill", map[string]any{"pidFile": "/nonexistent/fl.pid"})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(MatchError(ContainSubstring(`pidFile "/nonexistent/fl.pid"`)))
	})

	It("never selects faultline itself, its ancestors or PID 1", func() {
		self, err := os.ReadFile("/proc/self/cmdline")
		Expect(err).NotTo(HaveOccurred())
		f := mustBuild("process.kill", map[string]any{"cmdline": "^" + regexp.QuoteMeta(string(self[:len(self)-1]))})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(MatchError(faults.ErrNotFound))

		pf := filepath.Join(GinkgoT().TempDir(), "p.pid")
		for _, pid := range []int{1, os.Getpid(), os.Getppid()} {
			Expect(os.WriteFile(pf, []byte(fmt.Sprint(pid)), 0o644)).To(Succeed())
			f = mustBuild("process.kill", map[string]any{"pidFile": pf, "signal": "CONT"})
			Expect(f.(faults.Preflighter).Preflight(ctx())).To(MatchError(faults.ErrNotFound), "pid %d", pid)
		}
		// Nor another process of faultline's own executable (its guard).
		exe, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		m := marker()
		cmd := exec.Command(exe, "-test.run=^TestProcfault$", m)
		cmd.Env = append(os.Environ(), sleeperEnv+"=1")
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		Eventually(func() string { b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); return string(b) }).
			Should(ContainSubstring(m))
		f = mustBuild("process.kill", map[string]any{"cmdline": regexp.QuoteMeta(m)})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(MatchError(faults.ErrNotFound))
		// Not even from a record naming it.
		pid := cmd.Process.Pid
		f, err = procfaultWithRecord("process.kill", map[string]any{"name": "x"},
			fmt.Sprintf(`{"selector":"forged","procs":[{"pid":%d,"start":%d}]}`, pid, startTime(pid)))
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx())).To(MatchError(ContainSubstring("faultline's own executable")))
		Expect(comm(pid)).NotTo(BeEmpty())

		// Nor kernel threads (kthreadd is PID 2 wherever there is one).
		if _, err := os.Stat("/proc/2/stat"); err == nil && comm(2) == "kthreadd" {
			f = mustBuild("process.kill", map[string]any{"name": "kthreadd"})
			Expect(f.(faults.Preflighter).Preflight(ctx())).To(MatchError(faults.ErrNotFound))
		}
	})

	It("refuses untrusted undo records", func() {
		for _, rec := range []string{
			`{"selector":"x","procs":[{"pid":0,"start":5}]}`,
			`{"selector":"x","procs":[{"pid":1,"start":5}]}`,
			`{"selector":"x","procs":[{"pid":1234,"start":0}]}`,
		} {
			for _, kind := range []string{"process.kill", "process.pause"} {
				Expect(faults.TrustUndo(faults.Undo{Kind: kind, Params: json.RawMessage(rec)})).
					To(MatchError(faults.ErrUntrusted), rec)
			}
		}
		Expect(faults.TrustUndo(faults.Undo{Kind: "process.pause",
			Params: json.RawMessage(`{"selector":"x","procs":[{"pid":1234,"start":99}]}`)})).To(Succeed())
	})
})

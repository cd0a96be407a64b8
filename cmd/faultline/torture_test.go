package main_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults/netfault"
)

// tortureTemplate holds four faults of four kinds at once: a veth down, a
// bridge and its ports down, an nftables partition table and a tbf qdisc.
const tortureTemplate = `version: 1
name: torture
steps:
  - {name: cut, fault: link.down, with: {netns: %[1]s-server, link: eth0}, at: 50ms}
  - {name: sw, fault: switch.down, with: {netns: %[1]s-sw, bridge: br0}, at: 100ms}
  - {name: part, fault: net.partition, with: {netns: %[1]s-client, a: [198.18.100.1], b: [198.18.100.2]}, at: 150ms}
  - {name: slow, fault: net.bandwidth, with: {netns: %[1]s-client, link: eth0, rate: 1mbit}, at: 200ms}
observe: 150ms
safety: {guardTTL: %[2]s}
`

const tortureTTL = 500 * time.Millisecond

// netState is everything the faults touch: links, addresses, routes and
// bridge ports of every namespace, plus qdiscs and nftables rulesets.
type netState struct {
	snaps map[string]netfault.NetnsSnapshot
	tools map[string]string
}

func takeNetState(prefix string) netState {
	s := netState{snaps: map[string]netfault.NetnsSnapshot{}, tools: map[string]string{}}
	for _, n := range []string{"client", "server", "sw"} {
		ns := prefix + "-" + n
		snap, err := netfault.SnapshotNetns(context.Background(), ns)
		Expect(err).NotTo(HaveOccurred())
		s.snaps[ns] = snap
	}
	for _, ns := range []string{prefix + "-client", prefix + "-server"} {
		q, err := exec.Command("tc", "-n", ns, "-j", "qdisc", "show").Output()
		Expect(err).NotTo(HaveOccurred())
		s.tools[ns+" qdisc"] = string(q)
	}
	r, err := exec.Command("ip", "netns", "exec", prefix+"-client", "nft", "-j", "list", "ruleset").Output()
	Expect(err).NotTo(HaveOccurred())
	s.tools["client nft"] = string(r)
	return s
}

// diff is empty when both states are the same.
func (s netState) diff(before netState) []string {
	var out []string
	for ns, b := range before.snaps {
		for _, d := range s.snaps[ns].Diff(b) {
			out = append(out, ns+": "+d)
		}
	}
	for k, b := range before.tools {
		if s.tools[k] != b {
			out = append(out, fmt.Sprintf("%s: %s, was %s", k, s.tools[k], b))
		}
	}
	return out
}

// ipv4Only keeps IPv6 link-local addresses, which come back on their own
// after a link goes up, out of the comparison.
func ipv4Only(prefix string) {
	for _, n := range []string{"client", "server", "sw"} {
		for _, k := range []string{"all", "default"} {
			out, err := exec.Command("ip", "netns", "exec", prefix+"-"+n, "sysctl", "-qw",
				"net.ipv6.conf."+k+".disable_ipv6=1").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
		}
	}
}

// locksFree is true once no process holds a target lock: the runner and
// its guard are both gone.
func locksFree(state string) bool {
	files, _ := filepath.Glob(filepath.Join(state, "locks", "*.lock"))
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		f.Close()
		if err != nil {
			return false
		}
	}
	return true
}

// killPhase says when the kill landed, from the journal it left.
func killPhase(out string) string {
	b, err := os.ReadFile(filepath.Join(out, "journal.jsonl"))
	switch {
	case err != nil:
		return "before the run"
	case bytes.Contains(b, []byte(`"t":"end"`)):
		return "after the end"
	case bytes.Contains(b, []byte(`"ev":"injected"`)):
		return "while injected"
	case bytes.Contains(b, []byte(`"ev":"prepared"`)):
		return "prepared, before injection"
	}
	return "before the first step"
}

type torture struct {
	prefix, state, exp string
	before             netState
	phases             map[string]int
	worst              time.Duration
}

func newTorture() *torture {
	prefix := miniTopology()
	ipv4Only(prefix)
	t := &torture{prefix: prefix, state: GinkgoT().TempDir(), phases: map[string]int{}}
	t.exp = writeFile(GinkgoT().TempDir(), "torture.yaml", fmt.Sprintf(tortureTemplate, prefix, tortureTTL))
	time.Sleep(100 * time.Millisecond)
	t.before = takeNetState(prefix)
	return t
}

// start runs the experiment; group puts the runner in a process group of its own.
func (t *torture) start(out string, group bool) *exec.Cmd {
	cmd := exec.Command(bin, "--state-dir", t.state, "run", "--no-progress", "--out", out, t.exp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
	Expect(cmd.Start()).To(Succeed())
	return cmd
}

// guardDoneAt is when the run's guard finished reverting, from its log.
func guardDoneAt(out string) (time.Time, bool) { return guardLogAt(out, ": done in ") }

// guardLogAt is the time of the first line of the run's guard.log that
// contains marker (its lines start with the wall clock, µs).
func guardLogAt(out, marker string) (time.Time, bool) {
	b, err := os.ReadFile(filepath.Join(out, "guard.log"))
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, marker) {
			continue
		}
		clock, _, _ := strings.Cut(line, " ")
		c, err := time.ParseInLocation("15:04:05.000000", clock, time.Local)
		if err != nil {
			return time.Time{}, false
		}
		y, m, d := time.Now().Date()
		return time.Date(y, m, d, c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), time.Local), true
	}
	return time.Time{}, false
}

// sleepUntilKill picks the kill moment: with early, anywhere from the
// process start (before the guard is up, while it starts, or later);
// otherwise from the journal's creation (the guard is up), a random moment
// before, during or after the injections.
func sleepUntilKill(out string, early bool, spread time.Duration) {
	if !early {
		Eventually(func() error {
			_, err := os.Stat(filepath.Join(out, "journal.jsonl"))
			return err
		}, 10*time.Second, time.Millisecond).Should(Succeed())
	}
	time.Sleep(time.Duration(rand.Int64N(int64(spread))))
}

// awaitRevert waits until the state is back and every lock is free (the
// guard is gone), failing after limit plus the polls' own slack, and
// returns how long the revert took from the kill: to the guard's last
// revert when it reverted, else to the first poll that found the state
// back.
func (t *torture) awaitRevert(out string, killed time.Time, limit time.Duration) time.Duration {
	for {
		polled := time.Now()
		d := t.takeDiff()
		if len(d) == 0 && locksFree(t.state) {
			if done, ok := guardDoneAt(out); ok && done.After(killed) {
				return done.Sub(killed)
			}
			return polled.Sub(killed)
		}
		if time.Since(killed) > limit+time.Second {
			Fail(fmt.Sprintf("not reverted %s after SIGKILL: %s", limit, strings.Join(d, "; ")))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tortureRuns is how many runs the SIGKILL torture kills: 200 in the
// suite, FAULTLINE_TORTURE_RUNS (e.g. 1000) for a longer run.
func tortureRuns() int {
	if n, err := strconv.Atoi(os.Getenv("FAULTLINE_TORTURE_RUNS")); err == nil && n > 0 {
		return n
	}
	return 200
}

func (t *torture) takeDiff() []string { return takeNetState(t.prefix).diff(t.before) }

var _ = Describe("crash safety", Serial, Ordered, func() {
	It("SIGKILL torture: the guard reverts four faults of four kinds within guardTTL, every time (200 runs; FAULTLINE_TORTURE_RUNS for more)", func() {
		t := newTorture()
		runs := tortureRuns()
		for i := 0; i < runs; i++ {
			out := filepath.Join(GinkgoT().TempDir(), "run")
			cmd := t.start(out, false)
			if i%4 == 0 {
				sleepUntilKill(out, true, 900*time.Millisecond)
			} else {
				sleepUntilKill(out, false, 450*time.Millisecond)
			}
			Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
			killed := time.Now()
			_ = cmd.Wait()
			took := t.awaitRevert(out, killed, tortureTTL)
			phase := killPhase(out)
			t.phases[phase]++
			Expect(t.takeDiff()).To(BeEmpty(), "run %d", i)
			// The guard had faults to revert only when the kill left undo
			// records open; otherwise there is no revert to time.
			if phase == "while injected" || phase == "prepared, before injection" {
				Expect(took).To(BeNumerically("<=", tortureTTL), "run %d (%s): %s to revert", i, phase, took)
				if took > t.worst {
					t.worst = took
				}
			}
			entries, _ := os.ReadDir(filepath.Join(t.state, "active"))
			Expect(entries).To(BeEmpty(), "run %d: a journal is still registered for recovery", i)
		}
		fmt.Fprintf(GinkgoWriter, "SIGKILL torture: %d runs, worst time from SIGKILL to full revert %s, kills by phase %v\n",
			runs, t.worst, t.phases)
		AddReportEntry("sigkill-torture", fmt.Sprintf("%d runs, worst revert %s, phases %v", runs, t.worst, t.phases))
		Expect(t.phases["while injected"]).To(BeNumerically(">=", runs/4), "enough kills land while faults are in place")
		Expect(t.worst).To(BeNumerically("<=", tortureTTL))
	})

	It("SIGKILL of the whole process group: the guard survives it and reverts; then recover finds nothing left", func() {
		t := newTorture()
		for i := 0; i < 20; i++ {
			out := filepath.Join(GinkgoT().TempDir(), "run")
			cmd := t.start(out, true)
			sleepUntilKill(out, false, 350*time.Millisecond)
			Expect(syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)).To(Succeed())
			killed := time.Now()
			_ = cmd.Wait()
			t.phases[killPhase(out)]++
			t.awaitRevert(out, killed, tortureTTL)
			res, err := exec.Command(bin, "--state-dir", t.state, "recover").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(res))
			Expect(string(res)).To(ContainSubstring("nothing to recover"))
			Expect(t.takeDiff()).To(BeEmpty())
		}
		Expect(t.phases["while injected"]).To(BeNumerically(">=", 5))
	})

	It("SIGKILL of the process group and of the guard (a lost host): recover reverts everything", func() {
		t := newTorture()
		reverted := 0
		for i := 0; i < 15; i++ {
			out := filepath.Join(GinkgoT().TempDir(), "run")
			cmd := t.start(out, true)
			sleepUntilKill(out, false, 300*time.Millisecond)
			pids, _ := filepath.Glob(filepath.Join(t.state, "guards", "*.pid"))
			for _, p := range pids {
				var pid int
				b, _ := os.ReadFile(p)
				if _, err := fmt.Sscanf(string(b), "%d", &pid); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			Expect(syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)).To(Succeed())
			_ = cmd.Wait()
			Eventually(func() bool { return locksFree(t.state) }, 2*time.Second, 5*time.Millisecond).Should(BeTrue())
			res, err := exec.Command(bin, "--state-dir", t.state, "recover").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(res))
			reverted += strings.Count(string(res), ": reverted")
			Expect(t.takeDiff()).To(BeEmpty(), string(res))
			entries, _ := os.ReadDir(filepath.Join(t.state, "active"))
			Expect(entries).To(BeEmpty())
		}
		Expect(reverted).To(BeNumerically(">", 0), "recover had faults to revert")
	})

	It("refuses a second run on targets a run holds, naming that run (exit 2)", func() {
		t := newTorture()
		long := writeFile(GinkgoT().TempDir(), "long.yaml", strings.Replace(
			fmt.Sprintf(tortureTemplate, t.prefix, "1s"), "observe: 150ms", "observe: 3s", 1))
		outA := filepath.Join(GinkgoT().TempDir(), "a")
		a := exec.Command(bin, "--state-dir", t.state, "run", "--no-progress", "--out", outA, long)
		Expect(a.Start()).To(Succeed())
		Eventually(func() string { return killPhase(outA) }, 5*time.Second, 10*time.Millisecond).Should(Equal("while injected"))
		head, _ := os.ReadFile(filepath.Join(outA, "journal.jsonl"))
		runA := strings.SplitN(strings.SplitN(string(head), `"run":"`, 2)[1], `"`, 2)[0]

		b := exec.Command(bin, "--state-dir", t.state, "run", "--no-progress", "--out", filepath.Join(GinkgoT().TempDir(), "b"), t.exp)
		outB, err := b.CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(b.ProcessState.ExitCode()).To(Equal(2), string(outB))
		Expect(string(outB)).To(ContainSubstring("is held by run " + runA))
		Expect(a.Process.Signal(syscall.SIGINT)).To(Succeed())
		Expect(a.Wait()).To(MatchError(ContainSubstring("exit status 3")))
		Expect(t.takeDiff()).To(BeEmpty())
	})
})

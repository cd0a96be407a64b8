package procfault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/procfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// child is a process a spec started; Done closes when it has been reaped.
type child struct {
	cmd  *exec.Cmd
	PID  int
	Done chan struct{}
	ws   syscall.WaitStatus
}

// marker is a sleep argument no other process on the machine carries.
func marker() string { return fmt.Sprintf("3600.%06d", rand.IntN(1000000)) }

// markerRe selects exactly the sleeps started with m.
func markerRe(m string) string { return "^sleep " + regexp.QuoteMeta(m) + "$" }

// spawn starts argv and kills and reaps it when the spec ends.
func spawn(argv ...string) *child {
	cmd := exec.Command(argv[0], argv[1:]...)
	Expect(cmd.Start()).To(Succeed())
	c := &child{cmd: cmd, PID: cmd.Process.Pid, Done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			c.ws = ws
		}
		close(c.Done)
	}()
	DeferCleanup(func() {
		_ = syscall.Kill(c.PID, syscall.SIGKILL)
		Eventually(c.Done, 5*time.Second).Should(BeClosed())
	})
	// Wait until the child runs its program (exec done) so comm and
	// cmdline are final.
	want := filepath.Base(argv[len(argv)-2])
	if len(want) > 15 {
		want = want[:15]
	}
	Eventually(func() string { return comm(c.PID) }, 5*time.Second, 5*time.Millisecond).Should(Equal(want))
	return c
}

// sleeps starts n sleeps carrying marker m.
func sleeps(n int, m string) []*child {
	out := make([]*child, n)
	for i := range out {
		out[i] = spawn("sleep", m)
	}
	return out
}

// signalled is the signal that ended c (0 while it lives or if it exited).
func (c *child) signalled() syscall.Signal {
	select {
	case <-c.Done:
		if c.ws.Signaled() {
			return c.ws.Signal()
		}
	default:
	}
	return 0
}

func (c *child) alive() bool {
	select {
	case <-c.Done:
		return false
	default:
		return true
	}
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// state is the state letter of /proc/PID/stat (T: stopped).
func state(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

// startTime is field 22 of /proc/PID/stat.
func startTime(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	Expect(err).NotTo(HaveOccurred())
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	v, err := strconv.ParseUint(f[19], 10, 64)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// build makes a fault of kind from `with` parameters.
func build(kind string, with map[string]any) (faults.Fault, error) {
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), kind)
	raw, err := json.Marshal(with)
	Expect(err).NotTo(HaveOccurred())
	return k.NewFault(raw)
}

func mustBuild(kind string, with map[string]any) faults.Fault {
	f, err := build(kind, with)
	Expect(err).NotTo(HaveOccurred())
	return f
}

// pidIDs are the target IDs of the children, "pid:N(comm)".
func pidIDs(prefix, comm string, cs ...*child) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%spid:%d(%s)", prefix, c.PID, comm)
	}
	return out
}

func targetIDs(f faults.Fault) []string {
	var out []string
	for _, t := range f.Targets() {
		Expect(t.Kind).To(Equal("process"))
		out = append(out, t.ID)
	}
	return out
}

func needRoot() {
	if os.Geteuid() != 0 {
		Skip("needs root")
	}
}

// netns creates a throwaway namespace deleted when the spec ends.
func netns() string {
	needRoot()
	name := fmt.Sprintf("fl-pf-%06d", rand.IntN(1000000))
	Expect(nsutil.Create(name)).To(Succeed())
	DeferCleanup(func() { Expect(nsutil.Delete(name)).To(Succeed()) })
	return name
}

func ctx() context.Context { return context.Background() }

// procfaultWithRecord builds a fault holding a forged undo record.
func procfaultWithRecord(kind string, with map[string]any, undo string) (faults.Fault, error) {
	raw, err := json.Marshal(with)
	Expect(err).NotTo(HaveOccurred())
	return procfault.WithRecord(kind, raw, json.RawMessage(undo))
}

package lab_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/lab"
	"github.com/faultline/faultline/internal/nsutil"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// sleeper starts `sleep` (inside netns when set) and reaps it when it ends.
func sleeper(netns string) *exec.Cmd {
	args := []string{"sleep", "300"}
	if netns != "" {
		args = append([]string{"ip", "netns", "exec", netns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	Expect(cmd.Start()).To(Succeed())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	DeferCleanup(func() { _ = cmd.Process.Kill(); <-done })
	// Wait until ip has exec'd sleep inside the namespace.
	Eventually(func() string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		return string(b)
	}).Should(Equal("sleep\n"))
	return cmd
}

func running(cmd *exec.Cmd) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

var _ = Describe("lab down", func() {
	var dir, ns string

	BeforeEach(func() {
		if os.Geteuid() != 0 {
			Skip("needs root")
		}
		dir = filepath.Join(GinkgoT().TempDir(), "lab")
		DeferCleanup(lab.SetStateDir(dir))
		ns = fmt.Sprintf("fl-lab-%06x", rand.IntN(1<<24))
		Expect(nsutil.Create(ns)).To(Succeed())
		DeferCleanup(nsutil.Delete, ns)
	})

	writeState := func(v any) {
		Expect(os.MkdirAll(dir, 0o700)).To(Succeed())
		b, err := json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600)).To(Succeed())
	}

	It("does nothing without a state file, and says so", func(ctx SpecContext) {
		inside := sleeper(ns)
		_, err := lab.Down(ctx)
		Expect(err).To(MatchError(lab.ErrNoLab))
		Expect(nsutil.Path(ns)).To(BeAnExistingFile())
		Consistently(func() bool { return running(inside) }).WithTimeout(300 * time.Millisecond).Should(BeTrue())
	})

	It("leaves a namespace of a recorded name alone when its inode is not the recorded one, and a reused pid", func(ctx SpecContext) {
		inside := sleeper(ns)
		other := sleeper("")
		ino, err := nsutil.Inode(ns)
		Expect(err).NotTo(HaveOccurred())
		writeState(map[string]any{
			"topology":   "t",
			"namespaces": []string{ns},
			"netns":      []map[string]any{{"name": ns, "inode": ino + 1}}, // made again by someone else
			"daemons": []map[string]any{{"kind": "sleep", "name": "x", "pid": other.Process.Pid,
				"start": lab.StartTime(other.Process.Pid) - 1}}, // the pid was reused
		})
		res, err := lab.Down(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Removed).To(BeEmpty())
		Expect(res.Skipped).To(ConsistOf(ContainSubstring(ns + ": inode")))
		Expect(res.Killed).To(BeZero())
		Expect(nsutil.Path(ns)).To(BeAnExistingFile())
		Expect(running(inside)).To(BeTrue())
		Expect(running(other)).To(BeTrue())
		Expect(dir).NotTo(BeADirectory())
	})

	It("removes the recorded namespace and ends its processes and the recorded daemons", func(ctx SpecContext) {
		inside := sleeper(ns)
		daemon := sleeper("")
		bystander := sleeper("")
		ino, err := nsutil.Inode(ns)
		Expect(err).NotTo(HaveOccurred())
		writeState(map[string]any{
			"topology":   "t",
			"namespaces": []string{ns},
			"netns":      []map[string]any{{"name": ns, "inode": ino}},
			"daemons": []map[string]any{{"kind": "sleep", "name": "x", "pid": daemon.Process.Pid,
				"start": lab.StartTime(daemon.Process.Pid)}},
		})
		res, err := lab.Down(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Removed).To(Equal([]string{ns}))
		Expect(res.Killed).To(Equal(2))
		Expect(nsutil.Path(ns)).NotTo(BeAnExistingFile())
		Eventually(func() bool { return running(inside) || running(daemon) }).Should(BeFalse())
		Expect(running(bystander)).To(BeTrue())
		Expect(dir).NotTo(BeADirectory())
	})
})

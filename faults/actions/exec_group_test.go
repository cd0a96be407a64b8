package actions_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// alive reads a pid a spec's command wrote and says whether it still runs
// (a zombie counts as gone).
func alive(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	Expect(err).NotTo(HaveOccurred())
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	Expect(err).NotTo(HaveOccurred())
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && syscall.Kill(pid, 0) == nil
}

var _ = Describe("exec: a child that keeps the pipes open", func() {
	It("returns at its timeout and kills the whole process group", func() {
		pidf := filepath.Join(GinkgoT().TempDir(), "child.pid")
		a, err := action("exec", map[string]any{
			"command": []string{"sh", "-c", "sleep 30 & echo $! > " + pidf + "; echo hi; wait"},
			"timeout": "1s"})
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		res, err := a.Run(context.Background())
		took := time.Since(t0)
		GinkgoWriter.Printf("exec with a pipe-holding child and timeout 1s returned in %s\n", took)
		Expect(err).To(MatchError(context.DeadlineExceeded))
		Expect(took).To(BeNumerically("<", 2*time.Second))
		Expect(res["stdout"]).To(Equal("hi\n"))
		Eventually(func() bool { return alive(pidf) }).WithTimeout(2 * time.Second).Should(BeFalse())
	})

	It("does not wait for a background child once the command itself has exited", func() {
		pidf := filepath.Join(GinkgoT().TempDir(), "child.pid")
		a, err := action("exec", map[string]any{
			"command": []string{"sh", "-c", "sleep 30 & echo $! > " + pidf + "; echo hi"},
			"timeout": "20s"})
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(t0)).To(BeNumerically("<", 2*time.Second))
		Expect(res["stdout"]).To(Equal("hi\n"))
		Eventually(func() bool { return alive(pidf) }).WithTimeout(2 * time.Second).Should(BeFalse())
	})

	It("stops at once when its context ends (an abort)", func() {
		a, err := action("exec", map[string]any{"command": []string{"sh", "-c", "sleep 30 & sleep 30"}})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		t0 := time.Now()
		_, err = a.Run(ctx)
		Expect(err).To(MatchError(context.Canceled))
		Expect(time.Since(t0)).To(BeNumerically("<", 1500*time.Millisecond))
	})

	It("caps the output it keeps and says it was truncated", func() {
		a, err := action("exec", map[string]any{"command": []string{"head", "-c", "10000000", "/dev/zero"}})
		Expect(err).NotTo(HaveOccurred())
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		out := res["stdout"].(string)
		Expect(len(out)).To(BeNumerically("<", 5000))
		Expect(out).To(ContainSubstring("truncated"))
	})
})

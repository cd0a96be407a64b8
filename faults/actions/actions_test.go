package actions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	_ "github.com/faultline/faultline/faults/actions"
	"github.com/faultline/faultline/internal/nsutil"
)

func action(kind string, with any) (faults.Action, error) {
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), kind+" registered")
	raw, err := json.Marshal(with)
	Expect(err).NotTo(HaveOccurred())
	return k.NewAction(raw)
}

var _ = Describe("exec", func() {
	It("runs argv without a shell and reports exit and output", func() {
		a, err := action("exec", map[string]any{"command": []string{"echo", "$(id)", "a b"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(context.Background())).To(Succeed())
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(res["exit"]).To(Equal(0))
		Expect(res["stdout"]).To(Equal("$(id) a b\n"))
	})

	It("fails on an exit status other than expectExit, and accepts the expected one", func() {
		a, err := action("exec", map[string]any{"command": []string{"false"}})
		Expect(err).NotTo(HaveOccurred())
		_, err = a.Run(context.Background())
		Expect(err).To(MatchError(ContainSubstring("exit status 1, want 0")))

		a, err = action("exec", map[string]any{"command": []string{"false"}, "expectExit": 1})
		Expect(err).NotTo(HaveOccurred())
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(res["exit"]).To(Equal(1))
	})

	It("kills the command at its timeout", func() {
		a, err := action("exec", map[string]any{"command": []string{"sleep", "5"}, "timeout": "150ms"})
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		_, err = a.Run(context.Background())
		Expect(err).To(MatchError(context.DeadlineExceeded))
		Expect(time.Since(t0)).To(BeNumerically("<", 3*time.Second))
	})

	It("runs inside a named network namespace", func() {
		name := fmt.Sprintf("fl-act%04x", rand.IntN(0xffff))
		Expect(nsutil.Create(name)).To(Succeed())
		DeferCleanup(nsutil.Delete, name)
		ino, err := nsutil.Inode(name)
		Expect(err).NotTo(HaveOccurred())

		a, err := action("exec", map[string]any{"command": []string{"readlink", "/proc/self/ns/net"}, "netns": name})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(context.Background())).To(Succeed())
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.TrimSpace(res["stdout"].(string))).To(Equal(fmt.Sprintf("net:[%d]", ino)))

		// and this process's own namespace is untouched
		self, err := os.Readlink("/proc/self/ns/net")
		Expect(err).NotTo(HaveOccurred())
		Expect(self).NotTo(Equal(fmt.Sprintf("net:[%d]", ino)))
	})

	It("refuses bad params and fails preflight on a missing program or netns", func() {
		_, err := action("exec", map[string]any{"command": []string{}})
		Expect(err).To(MatchError(ContainSubstring("command is required")))
		_, err = action("exec", map[string]any{"command": []string{"true"}, "shell": true})
		Expect(err).To(MatchError(ContainSubstring("unknown field")))

		a, err := action("exec", map[string]any{"command": []string{"no-such-program-fl"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(context.Background())).To(MatchError(faults.ErrNotFound))
		a, err = action("exec", map[string]any{"command": []string{"true"}, "netns": "fl-missing-ns"})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(context.Background())).To(MatchError(faults.ErrNotFound))
	})
})

var _ = Describe("wait", func() {
	It("waits its duration", func() {
		a, err := action("wait", map[string]any{"duration": "120ms"})
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		res, err := a.Run(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(t0)).To(BeNumerically(">=", 120*time.Millisecond))
		Expect(res["waitedMs"]).To(BeNumerically(">=", 120.0))
	})

	It("stops early when the context ends", func() {
		a, err := action("wait", map[string]any{"duration": "10s"})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		_, err = a.Run(ctx)
		Expect(err).To(MatchError(context.DeadlineExceeded))
		Expect(time.Since(t0)).To(BeNumerically("<", 2*time.Second))
	})

	It("refuses a missing or bad duration", func() {
		_, err := action("wait", map[string]any{})
		Expect(err).To(HaveOccurred())
		_, err = action("wait", map[string]any{"duration": "soon"})
		Expect(err).To(MatchError(ContainSubstring("bad duration")))
	})
})

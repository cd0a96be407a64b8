package procfault_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

// scopeRoot is a writable cgroup v2 hierarchy: /sys/fs/cgroup on a
// unified host, /sys/fs/cgroup/unified on a hybrid one.
func scopeRoot() string {
	for _, r := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(r, "cgroup.controllers")); err == nil {
			return r
		}
	}
	return ""
}

var _ = Describe("unit selector", func() {
	It("selects the processes of a unit's cgroup, including its sub-cgroups", func() {
		needRoot()
		root := scopeRoot()
		if root == "" {
			Skip("no cgroup v2 hierarchy under /sys/fs/cgroup")
		}
		unit := fmt.Sprintf("fl-test-%s.scope", marker()[5:])
		dir := filepath.Join(root, unit)
		if err := os.Mkdir(dir, 0o755); err != nil {
			Skip("cgroup v2 not writable here: " + err.Error())
		}
		sub := filepath.Join(dir, "worker")
		Expect(os.Mkdir(sub, 0o755)).To(Succeed())
		DeferCleanup(func() {
			Eventually(func() error {
				_ = os.Remove(sub)
				return os.Remove(dir)
			}, 5*time.Second).Should(Succeed())
		})
		m := marker()
		a := spawn("sleep", m)
		b := spawn("sleep", m)
		outside := spawn("sleep", m)
		Expect(os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte(fmt.Sprint(a.PID)), 0o644)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte(fmt.Sprint(b.PID)), 0o644)).To(Succeed())

		f := mustBuild("process.kill", map[string]any{"unit": unit})
		Expect(f.(faults.Preflighter).Preflight(ctx())).To(Succeed())
		Expect(targetIDs(f)).To(ConsistOf(pidIDs("", "sleep", a, b)))
		Expect(f.Inject(ctx())).To(Succeed())
		Eventually(a.Done, 5*time.Second).Should(BeClosed())
		Eventually(b.Done, 5*time.Second).Should(BeClosed())
		Consistently(outside.alive, 200*time.Millisecond).Should(BeTrue())
	})

	It("names a unit that has no cgroup (a bare name means NAME.service)", func() {
		name := "fl-none-" + marker()[5:]
		f := mustBuild("process.pause", map[string]any{"unit": name})
		err := f.(faults.Preflighter).Preflight(ctx())
		Expect(err).To(MatchError(faults.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(`unit "` + name + `.service"`))
	})
})

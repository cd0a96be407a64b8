package nsutil_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/faultline/faultline/internal/nsutil"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The scenarios run in a copy of this test binary with a mount namespace
// of its own and a fresh tmpfs on /run, so /run/netns starts out as a
// plain directory (as on a fresh machine), whatever this machine's is.
const scenarioEnv = "FL_NSUTIL_SCENARIO"

func init() {
	if sc := os.Getenv(scenarioEnv); sc != "" {
		if err := runScenario(sc); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// gone checks that name is neither a file nor a mount nor listed by ip.
func gone(name string) error {
	if _, err := os.Lstat(nsutil.Path(name)); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s still exists (%v)", nsutil.Path(name), err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if bytes.Contains(mi, []byte(" "+nsutil.Path(name)+" ")) {
		return fmt.Errorf("%s still mounted:\n%s", nsutil.Path(name), mi)
	}
	return nil
}

// oldCreate makes a namespace as nsutil did before it shared /run/netns:
// a plain bind mount in a directory that is no mount point.
func oldCreate(name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // dies in the new netns
		h, err := netns.NewNamed(name)
		if err == nil {
			h.Close()
		}
		errc <- err
	}()
	return <-errc
}

func runScenario(sc string) error {
	if err := unix.Mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("tmpfs on /run: %w", err)
	}
	a, b := "fl-a", "fl-b"
	steps := map[string][]func() error{
		"nsutil, ip add, nsutil delete, ip delete": {
			func() error { return nsutil.Create(a) },
			func() error { return ipCmd("netns", "add", b) },
			func() error { return nsutil.Delete(a) },
			func() error { return gone(a) },
			func() error { return ipCmd("netns", "del", b) },
			func() error { return gone(b) },
		},
		"nsutil, ip add, ip delete, nsutil delete": {
			func() error { return nsutil.Create(a) },
			func() error { return ipCmd("netns", "add", b) },
			func() error { return ipCmd("netns", "del", b) },
			func() error { return nsutil.Delete(a) },
			func() error { return gone(a) },
		},
		"ip add, nsutil, nsutil delete, ip delete": {
			func() error { return ipCmd("netns", "add", b) },
			func() error { return nsutil.Create(a) },
			func() error { return nsutil.Delete(a) },
			func() error { return gone(a) },
			func() error { return ipCmd("netns", "del", b) },
			func() error { return gone(b) },
		},
		"a hidden mount (made before ip made the directory a mount)": {
			func() error { return oldCreate(a) },
			func() error { return ipCmd("netns", "add", b) },
			func() error { return nsutil.Delete(a) },
			func() error { return gone(a) },
			func() error { return ipCmd("netns", "del", b) },
			func() error { return gone(b) },
		},
		"the directory is a shared mount after Create": {
			func() error { return nsutil.Create(a) },
			func() error {
				mi, _ := os.ReadFile("/proc/self/mountinfo")
				for _, l := range strings.Split(string(mi), "\n") {
					f := strings.Fields(l)
					if len(f) > 6 && f[4] == nsutil.Dir && strings.Contains(l, " shared:") {
						return nil
					}
				}
				return fmt.Errorf("%s is no shared mount:\n%s", nsutil.Dir, mi)
			},
			func() error { return nsutil.Delete(a) },
		},
	}
	list, ok := steps[sc]
	if !ok {
		return fmt.Errorf("no scenario %q", sc)
	}
	for i, s := range list {
		if err := s(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}

var _ = Describe("Create and Delete next to iproute2", func() {
	BeforeEach(func() {
		if os.Geteuid() != 0 {
			Skip("needs root")
		}
		if _, err := exec.LookPath("ip"); err != nil {
			Skip("needs ip")
		}
	})

	DescribeTable("work in any order with `ip netns add`",
		func(sc string) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), scenarioEnv+"="+sc)
			cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
			out, err := cmd.CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s", out)
		},
		Entry(nil, "nsutil, ip add, nsutil delete, ip delete"),
		Entry(nil, "nsutil, ip add, ip delete, nsutil delete"),
		Entry(nil, "ip add, nsutil, nsutil delete, ip delete"),
		Entry(nil, "a hidden mount (made before ip made the directory a mount)"),
		Entry(nil, "the directory is a shared mount after Create"),
	)

	It("creates and deletes in this machine's /run/netns, whatever it is", func() {
		name := fmt.Sprintf("fl-ns-%06x", rand.IntN(1<<24))
		Expect(nsutil.Create(name)).To(Succeed())
		Expect(nsutil.Create(name)).To(MatchError(os.ErrExist))
		ino, err := nsutil.Inode(name)
		Expect(err).NotTo(HaveOccurred())
		Expect(ino).NotTo(BeZero())
		Expect(nsutil.Delete(name)).To(Succeed())
		Expect(nsutil.Path(name)).NotTo(BeAnExistingFile())
		Expect(nsutil.Delete(name)).To(Succeed())
	})
})

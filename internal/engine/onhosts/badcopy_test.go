package onhosts_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

var _ = Describe("the binary on a host", Ordered, func() {
	var (
		s   *sshtest.Site
		dir string
		env []string
		exp string
	)
	BeforeAll(func() {
		if os.Geteuid() != 0 {
			Skip("needs root for network namespaces and sshd")
		}
		dir = GinkgoT().TempDir()
		var err error
		s, err = sshtest.NewSite(dir)
		DeferCleanup(func() {
			if s != nil {
				s.Destroy()
			}
		})
		Expect(err).NotTo(HaveOccurred())
		h, err := s.AddHost("b1", 2)
		Expect(err).NotTo(HaveOccurred())
		exp = filepath.Join(dir, "probe.yaml")
		Expect(os.WriteFile(exp, []byte(fmt.Sprintf(`version: 1
name: probe
hostDefaults: {user: root, identity: %s, knownHosts: %s, dialNetns: %s}
hosts: {b1: {address: %s}}
probes:
  up: {tcp: {address: "%s:22"}, every: 100ms, on: b1}
verify:
  - {probe: up, availability: ">= 50%%"}
`, s.ClientKey, s.KnownHosts, s.Mgmt, h.Addr, h.Addr)), 0o600)).To(Succeed())
		env = append(os.Environ(),
			"FAULTLINE_STATE_DIR="+filepath.Join(dir, "state"),
			"FAULTLINE_AGENT_DIR="+filepath.Join(dir, "agent"),
			"FAULTLINE_AGENT_STATE_DIR="+filepath.Join(dir, "agent-state"))
	})

	plan := func() string {
		cmd := exec.Command(bin, "plan", exp)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		return string(out)
	}

	It("refuses to run as the agent when its own hash is not the one asked for", func() {
		b, err := os.ReadFile(bin)
		Expect(err).NotTo(HaveOccurred())
		sum := sha256.Sum256(b)
		good := hex.EncodeToString(sum[:])
		bad := hex.EncodeToString(make([]byte, 32))
		cmd := exec.Command(bin, "--state-dir", filepath.Join(dir, "self"), "agent", "--stdio", "--sha256", bad)
		cmd.Stdin = bytes.NewReader(nil)
		out, err := cmd.CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(cmd.ProcessState.ExitCode()).To(Equal(sshx.ExitBadBinary), string(out))
		Expect(string(out)).To(ContainSubstring("own executable has SHA-256 " + good))
		Expect(filepath.Join(dir, "self")).NotTo(BeADirectory(), "it did nothing before the check")
	})

	It("replaces a copy on the host that fails the agent's own check", func() {
		Expect(plan()).To(ContainSubstring("1 copied"))
		copies, err := filepath.Glob(filepath.Join(dir, "agent", "*", "faultline"))
		Expect(err).NotTo(HaveOccurred())
		Expect(copies).To(HaveLen(1))
		// Same size, mode and owner: taken as it is by name, caught by
		// the agent hashing itself.
		// The first plan's agent may still be exiting (the kernel refuses
		// writes to a file being executed: ETXTBSY), so wait for it.
		var f *os.File
		Eventually(func() error {
			f, err = os.OpenFile(copies[0], os.O_WRONLY, 0)
			return err
		}).WithTimeout(10 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
		_, err = f.WriteAt([]byte("tampered"), 4<<20)
		Expect(err).NotTo(HaveOccurred())
		f.Close()
		Expect(plan()).To(ContainSubstring("1 copied"), "taken by its name, refused by the agent, copied again")
		Expect(os.ReadFile(copies[0])).To(Equal(mustReadFile(bin)))
		Expect(plan()).To(ContainSubstring("0 copied"))
	})
})

func mustReadFile(p string) []byte {
	GinkgoHelper()
	b, err := os.ReadFile(p)
	Expect(err).NotTo(HaveOccurred())
	return b
}

// Package onhosts_test runs experiments whose steps and probes run on
// hosts, end to end: the faultline binary, real sshds in namespaces on a
// management bridge, the agent copied over SFTP and started over SSH.
package onhosts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOnHosts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "experiments on hosts")
}

var bin string

var _ = SynchronizedBeforeSuite(func() []byte {
	dir, err := os.MkdirTemp("", "faultline-onhosts-")
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, "faultline")
	out, err := exec.Command("go", "build", "-tags", "libvirt_dlopen", "-o", p, "../../../cmd/faultline").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return []byte(p)
}, func(p []byte) {
	bin = string(p)
	DeferCleanup(func() { _ = os.RemoveAll(filepath.Dir(bin)) })
})

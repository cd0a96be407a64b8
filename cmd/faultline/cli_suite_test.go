package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "faultline CLI")
}

var bin string

var _ = SynchronizedBeforeSuite(func() []byte {
	dir, err := os.MkdirTemp("", "faultline-cli-")
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(dir, "faultline")
	out, err := exec.Command("go", "build", "-tags", "libvirt_dlopen", "-o", p, ".").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return []byte(p)
}, func(p []byte) {
	bin = string(p)
	DeferCleanup(func() { _ = os.RemoveAll(filepath.Dir(bin)) })
})

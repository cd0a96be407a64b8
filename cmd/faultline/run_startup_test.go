package main_test

import (
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("start-up", func() {
	It("does not load libvirt.so until libvirt is used", func() {
		cmd := exec.Command(bin, "--version")
		cmd.Env = append(os.Environ(), "LD_DEBUG=files")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		Expect(string(out)).To(ContainSubstring("faultline version"))
		Expect(string(out)).NotTo(ContainSubstring("libvirt.so"))
	})
})

package main_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"

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

	// Every run starts two processes (the runner and its guard) before its
	// first fault lands: what package initialisation builds, each pays.
	It("builds nothing big at package init (regexps, templates, keys are made on first use)", func() {
		cmd := exec.Command(bin, "--version")
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		// init PKG @T ms, C ms clock, B bytes, A allocs
		own := map[string]int{}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/faultline/") {
				continue
			}
			b, err := strconv.Atoi(f[7])
			Expect(err).NotTo(HaveOccurred(), line)
			own[f[1]] = b
		}
		Expect(own).NotTo(BeEmpty(), "inittrace lists faultline's packages:\n%s", out)
		total := 0
		for pkg, b := range own {
			Expect(b).To(BeNumerically("<", 16<<10), "%s allocates %d bytes at init", pkg, b)
			total += b
		}
		Expect(total).To(BeNumerically("<", 64<<10), "faultline's packages allocate %d bytes at init: %v", total, own)
	})
})

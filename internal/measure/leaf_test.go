package measure_test

import (
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/measure"
)

var _ = Describe("measure", func() {
	It("is a leaf: it imports no other package of faultline", func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = "/usr/local/go/bin/go"
		}
		out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		for _, p := range strings.Fields(string(out)) {
			if strings.HasPrefix(p, "github.com/faultline/faultline/") {
				Expect(p).To(Equal("github.com/faultline/faultline/internal/measure"))
			}
		}
	})

	It("parses bounds with their units", func() {
		c, err := measure.ParseComparison(">= 99.5%")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Unit).To(Equal("%"))
		Expect(c.Holds(99.5)).To(BeTrue())
		c, err = measure.ParseComparison("< 200ms")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Unit).To(Equal("s"))
		Expect(c.Holds(0.2)).To(BeFalse())
		_, err = measure.ParseComparison("about 3")
		Expect(err).To(HaveOccurred())
		d, err := measure.ParseDuration("1m30s")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.String()).To(Equal("1m30s"))
		_, err = measure.ParseDuration("721h")
		Expect(err).To(MatchError(ContainSubstring("longer than the 30 days")))
	})
})

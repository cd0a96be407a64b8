package exitcode_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/exitcode"
)

func TestExitcode(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "exitcode")
}

var _ = Describe("exit codes", func() {
	It("keep the numbers DESIGN.md promises", func() {
		Expect([]int{exitcode.Passed, exitcode.Failed, exitcode.Invalid, exitcode.Aborted, exitcode.Infra}).To(Equal([]int{0, 1, 2, 3, 4}))
	})
	It("rank 4 > 2 > 3 > 1 > 0, and an unknown code above all", func() {
		Expect(exitcode.Worst()).To(Equal(exitcode.Passed))
		Expect(exitcode.Worst(exitcode.Failed, exitcode.Aborted)).To(Equal(exitcode.Aborted))
		Expect(exitcode.Worst(exitcode.Aborted, exitcode.Invalid, exitcode.Failed)).To(Equal(exitcode.Invalid))
		Expect(exitcode.Worst(exitcode.Invalid, exitcode.Infra)).To(Equal(exitcode.Infra))
		Expect(exitcode.Worst(exitcode.Infra, 9)).To(Equal(9))
	})
	It("say what each code means", func() {
		Expect(exitcode.Meaning(exitcode.Infra)).To(ContainSubstring("faultline recover"))
		Expect(exitcode.Meaning(7)).To(Equal("unknown exit code"))
	})
})

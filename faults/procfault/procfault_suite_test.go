package procfault_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestProcfault(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "procfault")
}

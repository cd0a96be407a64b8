package probes_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestProbes(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "probes")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("probe specs create network namespaces: run as root")
	}
})

package bmcfault_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBmcfault(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "bmcfault")
}

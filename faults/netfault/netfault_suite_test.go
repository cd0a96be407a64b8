package netfault_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNetfault(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netfault")
}

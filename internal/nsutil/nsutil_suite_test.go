package nsutil_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNsutil(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "nsutil")
}

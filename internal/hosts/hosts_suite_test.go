package hosts_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestHosts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hosts")
}

package virtfault_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestVirtfault(t *testing.T) {
	// Re-executed as a helper inside a mount namespace where libvirt.so.0
	// is hidden (see preflight_test.go).
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper())
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "virtfault")
}

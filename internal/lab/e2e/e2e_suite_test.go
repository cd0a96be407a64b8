// Package e2e brings the seed lab up once on this machine and checks that
// it serves, survives a NIC cut and a switch kill, and leaves no trace
// after Down. It needs root, libvirtd, QEMU, nbd-server and the guest
// image (scripts/lab-setup.sh); without them every spec is skipped.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLabE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "lab e2e")
}

package remote_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRemote(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "remote")
}

// bin is the faultline binary built for the suite: the agent runs as a
// real child process, as it would at the end of an SSH channel.
var bin string

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	bin = filepath.Join(GinkgoT().TempDir(), "faultline")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/faultline/faultline/cmd/faultline")
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Run()).To(Succeed())
})

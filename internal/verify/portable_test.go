package verify_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Verdicts, journals and reports are read on the operator's laptop too:
// nothing Linux-only (netlink, nftables, libvirt, namespaces) may reach
// these packages. A build for another OS is what proves it.
var _ = Describe("portability", func() {
	It("verify, journal and reports build for darwin", func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
			if _, serr := os.Stat(goBin); serr != nil {
				goBin = "/usr/local/go/bin/go"
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goBin, "build",
			"github.com/faultline/faultline/internal/verify",
			"github.com/faultline/faultline/internal/journal",
			"github.com/faultline/faultline/reports")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOOS=darwin", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "GOOS=darwin go build:\n%s", out)
	})
})

package virtfault_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/virtfault"
)

const helperEnv = "FAULTLINE_VIRTFAULT_HELPER"

// runHelper runs a preflight in this process (one where libvirt.so.0 was
// made unloadable) and prints what it returned.
func runHelper() int {
	k, _ := faults.Lookup("domain.destroy")
	f, err := k.NewFault([]byte(`{"uri": "test:///default", "domain": "test"}`))
	if err != nil {
		fmt.Println("construct:", err)
		return 2
	}
	err = f.(faults.Preflighter).Preflight(bg)
	fmt.Printf("missing=%v notsupported=%v err=%v\n",
		errorsIs(err, virtfault.ErrLibvirtMissing), errorsIs(err, faults.ErrNotSupported), err)
	return 0
}

var _ = Describe("preflight without libvirt", func() {
	It("says libvirt.so.0 is not loadable", func() {
		if os.Geteuid() != 0 {
			Skip("needs root to hide libvirt.so.0 in a private mount namespace")
		}
		lib, err := filepath.EvalSymlinks("/usr/lib/x86_64-linux-gnu/libvirt.so.0")
		if err != nil {
			Skip("libvirt.so.0 is not where Debian puts it: " + err.Error())
		}
		if _, err := exec.LookPath("unshare"); err != nil {
			Skip("unshare (util-linux) is missing")
		}
		self, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		// Bind /dev/null over the library in a private mount namespace:
		// dlopen then fails the way it does where libvirt0 is absent.
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind /dev/null "$1" && exec "$2" -test.run '^TestVirtfault$'`, "sh", lib, self)
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(ContainSubstring("missing=true notsupported=true"))
		Expect(string(out)).To(ContainSubstring("libvirt.so.0"))
	})
})

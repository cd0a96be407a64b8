package lab_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/bmcfault"
	"github.com/faultline/faultline/internal/lab"
	"github.com/faultline/faultline/internal/nsutil"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"libvirt.org/go/libvirt"
)

var _ = Describe("the lab's BMCs", Ordered, func() {
	var (
		topo     *lab.Topology
		mgmt, hv string
		bmc      bmcfault.Config
		power    faults.Fault
	)

	BeforeAll(func(ctx SpecContext) {
		if os.Geteuid() != 0 {
			Skip("needs root")
		}
		for _, bin := range []string{lab.SSHDPath, lab.IPMISimPath, "libvirtd", "ip"} {
			if _, err := exec.LookPath(bin); err != nil {
				Skip(bin + " not installed")
			}
		}
		dir, err := os.MkdirTemp("/run", "fl-labspec-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, dir)
		DeferCleanup(lab.SetStateDir(filepath.Join(dir, "lab")))
		id := fmt.Sprintf("%05x", rand.IntN(1<<20))
		src := strings.NewReplacer("ID", id).Replace(`version: 1
name: fl-ID
subnet: 198.18.41.0/24
switches:
  - {name: fl-s-ID, priority: 4096}
nodes:
  - {name: fl-c-ID, address: 198.18.41.1/24, uplinks: [fl-s-ID]}
hypervisors:
  - {name: fl-h-ID, address: 198.18.41.2/24, uplinks: [fl-s-ID]}
`)
		topo, err = lab.ParseTopology("bmc.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		mgmt, hv = "fl-m-"+id, "fl-h-"+id
		DeferCleanup(func(ctx SpecContext) {
			_, _ = lab.Down(ctx)
			for _, ns := range append(topo.Namespaces(), mgmt) {
				_ = nsutil.Delete(ns)
			}
		})
		Expect(lab.UpNetwork(ctx, topo, mgmt)).To(Succeed())
		Expect(lab.StartBMCs(ctx)).To(Succeed())
		var ok bool
		bmc, ok = topo.BMCConfig(hv)
		Expect(ok).To(BeTrue())
		bmc.Netns = mgmt
		kind, ok := faults.Lookup("bmc.power")
		Expect(ok).To(BeTrue())
		with, err := json.Marshal(map[string]any{"address": bmc.Address, "user": bmc.User,
			"passwordFile": bmc.PasswordFile, "netns": mgmt, "action": "off"})
		Expect(err).NotTo(HaveOccurred())
		power, err = kind.NewFault(with)
		Expect(err).NotTo(HaveOccurred())
	}, NodeTimeout(time.Minute))

	uplinkUp := func() bool {
		out, err := exec.Command("ip", "-n", hv, "-o", "link", "show", "up1").Output()
		Expect(err).NotTo(HaveOccurred())
		return strings.Contains(strings.SplitN(string(out), ">", 2)[0], ",UP")
	}
	sshdListens := func(ctx SpecContext) bool {
		a, _ := topo.MgmtAddress(hv)
		c, err := lab.DialIn(ctx, mgmt, "tcp", netip.AddrPortFrom(a, 22).String())
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	libvirtdAnswers := func() bool {
		c, err := libvirt.NewConnect(lab.URI(hv))
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = c.GetLibVersion()
		return err == nil
	}

	It("answers on its own management address with the lab's password, kept private, and is in the inventory", func(ctx SpecContext) {
		Expect(bmc.Address).To(Equal("198.19.0.201"))
		Expect(bmcfault.PowerState(ctx, bmc)).To(BeTrue())
		fi, err := os.Stat(lab.BMCPasswordFile())
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		wrong := filepath.Join(GinkgoT().TempDir(), "pw")
		Expect(os.WriteFile(wrong, []byte("not-the-password\n"), 0o600)).To(Succeed())
		bad := bmc
		bad.PasswordFile = wrong
		_, err = bmcfault.PowerState(ctx, bad)
		Expect(err).To(MatchError(bmcfault.ErrAuth))
		inv, err := lab.Inventory()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(inv)).To(And(ContainSubstring(`faultline_bmc_address: "198.19.0.201"`),
			ContainSubstring(`faultline_bmc_password_file: "`+lab.BMCPasswordFile()+`"`),
			ContainSubstring(`faultline_bmc_netns: "`+mgmt+`"`)))
	}, SpecTimeout(30*time.Second))

	It("cuts the hypervisor's power through bmc.power: its processes killed, its uplink down", func(ctx SpecContext) {
		Expect(sshdListens(ctx)).To(BeTrue())
		Expect(uplinkUp()).To(BeTrue())
		_, err := power.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(power.Inject(ctx)).To(Succeed())
		Expect(bmcfault.PowerState(ctx, bmc)).To(BeFalse())
		Expect(uplinkUp()).To(BeFalse())
		Expect(sshdListens(ctx)).To(BeFalse())
		st, err := lab.Power(ctx, hv, "status")
		Expect(err).NotTo(HaveOccurred())
		Expect(st).To(Equal("off"))
	}, SpecTimeout(30*time.Second))

	It("boots it again on the revert: uplink up, libvirtd and sshd started", func(ctx SpecContext) {
		Expect(libvirtdAnswers()).To(BeFalse())
		Expect(power.Revert(ctx)).To(Succeed())
		Expect(bmcfault.PowerState(ctx, bmc)).To(BeTrue())
		Eventually(libvirtdAnswers).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(BeTrue())
		Eventually(func() bool { return sshdListens(ctx) }).WithTimeout(10 * time.Second).Should(BeTrue())
		Expect(uplinkUp()).To(BeTrue())
	}, SpecTimeout(time.Minute))

	It("is removed by Down, simulator and password with it", func(ctx SpecContext) {
		_, err := lab.Down(ctx)
		Expect(err).NotTo(HaveOccurred())
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, _ := os.ReadFile(p)
			Expect(string(b)).NotTo(ContainSubstring(filepath.Dir(lab.BMCPasswordFile())), p)
		}
		Expect(lab.BMCPasswordFile()).NotTo(BeAnExistingFile())
	}, SpecTimeout(time.Minute))
})

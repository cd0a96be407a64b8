package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/bmcfault"
	"github.com/faultline/faultline/internal/lab"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const vip = "http://198.18.10.100/"

// missing names what this machine lacks to run the lab, or "".
func missing() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	for _, bin := range []string{"libvirtd", "qemu-system-x86_64", "nbd-server", "ip", lab.IPMISimPath} {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " not installed (run scripts/lab-setup.sh)"
		}
	}
	for _, f := range []string{"vmlinuz", "initrd.img"} {
		if _, err := os.Stat(filepath.Join(lab.DefaultGuestDir, f)); err != nil {
			return "no guest image (run scripts/build-guest-image.sh)"
		}
	}
	return ""
}

func sh(args ...string) {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "%v: %s", args, out)
}

// outageMeter probes the VIP from the client every 20 ms and keeps the
// longest run of failures (first failed sample's start to the next ok one).
type outageMeter struct {
	mu        sync.Mutex
	longest   time.Duration
	failedAt  time.Time
	ok, fails int
	stop      chan struct{}
	done      chan struct{}
}

func startMeter() *outageMeter {
	m := &outageMeter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			select {
			case <-m.stop:
				return
			default:
			}
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			_, err := lab.HTTPGet(ctx, "client", vip)
			cancel()
			m.mu.Lock()
			if err != nil {
				m.fails++
				if m.failedAt.IsZero() {
					m.failedAt = start
				}
			} else {
				m.ok++
				if !m.failedAt.IsZero() {
					if d := start.Sub(m.failedAt); d > m.longest {
						m.longest = d
					}
					m.failedAt = time.Time{}
				}
			}
			m.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return m
}

func (m *outageMeter) finish() (longest time.Duration, ok, fails int) {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.failedAt.IsZero() {
		m.longest = max(m.longest, time.Since(m.failedAt))
	}
	return m.longest, m.ok, m.fails
}

func guestState(ip string) string {
	body, _ := lab.HTTPGet(context.Background(), "client", "http://"+ip+"/cgi-bin/state")
	return body
}

var _ = Describe("the seed lab", Ordered, func() {
	var status *lab.LabStatus

	BeforeAll(func(ctx SpecContext) {
		if why := missing(); why != "" {
			Skip("lab e2e: " + why)
		}
		buildFaultline(ctx)
		DeferCleanup(func(ctx SpecContext) { _, _ = lab.Down(ctx) }, NodeTimeout(time.Minute))
		var err error
		status, err = lab.Up(ctx, lab.Seed(), lab.Options{Progress: GinkgoWriter})
		Expect(err).NotTo(HaveOccurred())
		AddReportEntry("lab up (from nothing to all VMs serving)", status.UpTime.String())
		AddReportEntry("lab memory", fmt.Sprintf("%.0f MiB in %d processes", float64(status.MemoryBytes)/(1<<20), status.Processes))
	}, NodeTimeout(5*time.Minute))

	It("reports every namespace, a libvirtd per hypervisor and both VMs running", func() {
		Expect(status.Up).To(BeTrue())
		Expect(status.Namespaces).To(HaveLen(8))
		for _, h := range status.Hypervisors {
			Expect(h.Answers).To(BeTrue(), h.Name)
			Expect(h.URI).To(Equal("qemu:///system?socket=/run/faultline/lab/" + h.Name + "/libvirt-sock"))
		}
		Expect(status.VMs).To(ConsistOf(
			lab.VMStatus{Name: "web-a", Hypervisor: "hv-a", State: "running", Address: "198.18.10.11"},
			lab.VMStatus{Name: "web-b", Hypervisor: "hv-b", State: "running", Address: "198.18.10.12"},
		))
		Expect(status.MemoryBytes).To(BeNumerically("<", int64(2)<<30))
	})

	It("runs every QEMU and nbd-server at the workload's priority, so a busy machine does not starve the guests", func() {
		n := 0
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, p := range stats {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// comm is in parentheses and may hold spaces: fields follow the last ')'.
			i := strings.LastIndexByte(string(b), ')')
			comm := string(b[strings.IndexByte(string(b), '(')+1 : i])
			cmd, _ := os.ReadFile(strings.TrimSuffix(p, "stat") + "cmdline")
			switch {
			case comm == "qemu-system-x86" && strings.Contains(string(cmd), "guest=web-"):
			case comm == "nbd-server" && strings.Contains(string(cmd), lab.StateDir):
			default:
				continue // not the lab's
			}
			f := strings.Fields(string(b[i+2:]))
			Expect(f[16]).To(Equal("-15"), "nice of %s (%s)", p, comm) // field 19 of stat
			n++
		}
		Expect(n).To(BeNumerically(">=", 4), "two QEMUs and two nbd-servers")
	})

	It("serves HTTP on the VIP from the client, from the VRRP master, with both mirrors clean", func(ctx SpecContext) {
		body, err := lab.HTTPGet(ctx, "client", vip)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.TrimSpace(body)).To(BeElementOf("web-a", "web-b"))
		Eventually(func() string { return guestState("198.18.10.11") + guestState("198.18.10.12") }).
			WithTimeout(30 * time.Second).WithPolling(time.Second).
			Should(And(ContainSubstring("vrrp=MASTER"), ContainSubstring("vrrp=BACKUP"),
				Not(ContainSubstring("mirror=degraded")), Not(ContainSubstring("mirror=none"))))
	}, SpecTimeout(time.Minute))

	It("runs an OpenSSH server on every node, reached over the management network with the lab's key", func(ctx SpecContext) {
		topo := lab.Seed()
		for _, ns := range topo.Namespaces() {
			a, ok := topo.MgmtAddress(ns)
			Expect(ok).To(BeTrue(), ns)
			out, err := exec.CommandContext(ctx, "ip", "netns", "exec", lab.MgmtNetns, "ssh", "-F", "/dev/null",
				"-i", lab.ClientKey(), "-o", "UserKnownHostsFile="+lab.KnownHosts(), "-o", "StrictHostKeyChecking=yes",
				"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
				"root@"+a.String(), "true").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "ssh root@%s (%s): %s", a, ns, out)
		}
		inv, err := exec.CommandContext(ctx, faultlineBin, "lab", "inventory").Output()
		Expect(err).NotTo(HaveOccurred())
		for _, g := range []string{"hypervisors:", "sans:", "switches:", "clients:", "ansible_host: \"198.19.0.4\""} {
			Expect(string(inv)).To(ContainSubstring(g))
		}
	}, SpecTimeout(2*time.Minute))

	It("cuts a hypervisor's power through its BMC (libvirtd, sshd and uplinks gone) and boots it again", func(ctx SpecContext) {
		// hv-c, the empty spare: its power is cut through the lab BMC that
		// `lab inventory` names, as the bmc.power fault does it.
		topo := lab.Seed()
		bmc, ok := topo.BMCConfig("hv-c")
		Expect(ok).To(BeTrue())
		inv, err := exec.CommandContext(ctx, faultlineBin, "lab", "inventory").Output()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(inv)).To(And(ContainSubstring(`faultline_bmc_address: "`+bmc.Address+`"`),
			ContainSubstring(`faultline_bmc_password_file: "`+lab.BMCPasswordFile()+`"`)))
		fi, err := os.Stat(lab.BMCPasswordFile())
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)))

		kind, ok := faults.Lookup("bmc.power")
		Expect(ok).To(BeTrue())
		with, err := json.Marshal(map[string]any{"address": bmc.Address, "user": bmc.User,
			"passwordFile": bmc.PasswordFile, "netns": bmc.Netns, "action": "off"})
		Expect(err).NotTo(HaveOccurred())
		f, err := kind.NewFault(with)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		_, err = f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { _ = f.Revert(ctx) }, NodeTimeout(30*time.Second))
		ssh := netip.AddrPortFrom(netip.MustParseAddr("198.19.0.4"), 22).String()
		hvC := func() (answers bool) {
			st, err := lab.Status(ctx)
			Expect(err).NotTo(HaveOccurred())
			for _, h := range st.Hypervisors {
				if h.Name == "hv-c" {
					answers = h.Answers
				}
			}
			return answers
		}
		linksUp := func() []bool {
			var up []bool
			for _, l := range []string{"up1", "up2"} {
				out, _ := exec.Command("ip", "-n", "hv-c", "-o", "link", "show", l).Output()
				up = append(up, strings.Contains(strings.SplitN(string(out), ">", 2)[0], ",UP"))
			}
			return up
		}
		sshdListens := func() bool {
			c, err := lab.DialIn(ctx, lab.MgmtNetns, "tcp", ssh)
			if err == nil {
				c.Close()
			}
			return err == nil
		}

		t0 := time.Now()
		Expect(f.Inject(ctx)).To(Succeed())
		off := time.Since(t0)
		Expect(bmcfault.PowerState(ctx, bmc)).To(BeFalse())
		Expect(linksUp()).To(Equal([]bool{false, false}))
		Expect(hvC()).To(BeFalse(), "hv-c's libvirtd answers after power-off")
		Expect(sshdListens()).To(BeFalse(), "hv-c's sshd listens after power-off")
		AddReportEntry("lab BMC: chassis power off returned after", off.String())

		t0 = time.Now()
		Expect(f.Revert(ctx)).To(Succeed()) // bmc.power's revert: power on
		Expect(bmcfault.PowerState(ctx, bmc)).To(BeTrue())
		Eventually(hvC).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(BeTrue())
		AddReportEntry("lab BMC: power on to libvirtd answering", time.Since(t0).String())
		Expect(linksUp()).To(Equal([]bool{true, true}))
		Eventually(sshdListens).WithTimeout(15 * time.Second).Should(BeTrue())
	}, SpecTimeout(2*time.Minute))

	// The reference scenario, through the built binary, in the order of
	// its sentences and in alphabetical order (each experiment leaves the
	// lab as it found it, whatever ran before).
	for _, order := range seedOrders() {
		for _, x := range order.runs {
			It("passes the seed experiment "+x.name+" ("+order.name+" order) with measured availability and outage", func(ctx SpecContext) {
				rep := runSeed(ctx, x.name)
				expectWithinBounds(rep, x.name, order.name+": "+x.name, x)
				for _, v := range rep.Verdicts {
					Expect(v.Measured).NotTo(Or(BeEmpty(), Equal("n/a")), v.Name)
				}
				for _, v := range rep.Verdicts {
					if v.Kind == "reaches" {
						AddReportEntry(order.name+": "+x.name+": "+v.Name, v.Measured)
					}
				}
				expectSeedLayout(ctx)
			}, SpecTimeout(x.timeout))
		}
	}

	// The same scenario written with `on:` only, through SSH: each
	// twin is held to its seed experiment's bounds (see remoteRuns).
	for _, x := range remoteRuns() {
		It("passes the seed-remote experiment "+x.name+"-remote through SSH only, with its seed twin's bounds", func(ctx SpecContext) {
			rep := runExample(ctx, "seed-remote", x.name+"-remote")
			expectWithinBounds(rep, x.name+"-remote", "remote: "+x.name, x)
			expectSeedLayout(ctx)
		}, SpecTimeout(x.timeout))
	}

	It("leaves no namespace, bridge, daemon, QEMU, sshd, key, mount or file after Down", func(ctx SpecContext) {
		// A namespace added with iproute2 after lab up neither blocks Down
		// nor is touched by it.
		other := fmt.Sprintf("fl-e2e-%d", os.Getpid())
		sh("ip", "netns", "add", other)
		DeferCleanup(func() { _ = exec.Command("ip", "netns", "del", other).Run() })
		_, err := lab.Down(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join("/run/netns", other)).To(BeAnExistingFile())
		_, err = lab.Down(ctx) // nothing recorded any more: nothing done
		Expect(err).To(MatchError(lab.ErrNoLab))
		for _, ns := range append(lab.Seed().Namespaces(), lab.MgmtNetns) {
			Expect(filepath.Join("/run/netns", ns)).NotTo(BeAnExistingFile())
		}
		Expect(lab.StateDir).NotTo(BeAnExistingFile())
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			cmd, _ := os.ReadFile(p + "/cmdline")
			c := strings.ReplaceAll(string(cmd), "\x00", " ")
			Expect(c).NotTo(ContainSubstring(lab.StateDir), p)   // libvirtd, nbd-server, sshd
			Expect(c).NotTo(ContainSubstring("fl.name=web-"), p) // QEMU guests
			mi, _ := os.ReadFile(p + "/mountinfo")
			Expect(string(mi)).NotTo(ContainSubstring(lab.StateDir), p)
		}
		out, err := exec.Command("ip", "-o", "link", "show", "type", "bridge").CombinedOutput()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).NotTo(ContainSubstring("br0"))
	}, SpecTimeout(time.Minute))
})

// expectWithinBounds: the run passed (exit 0) and its web probe held the
// seed run's bounds; the figures go into the suite's report under label.
func expectWithinBounds(rep *report, name, label string, x seedRun) {
	Expect(rep.Status).To(Equal("passed"), "%s: exit %d: %s", name, rep.Exit, rep.failures())
	Expect(rep.Exit).To(Equal(0))
	web := rep.probe("web")
	Expect(web).NotTo(BeNil(), "probe web in report.json")
	Expect(web.Samples).To(BeNumerically(">", 100))
	Expect(web.Availability).To(BeNumerically(">=", x.minAvailability))
	Expect(web.MaxOutage).To(BeNumerically("<=", x.maxOutage.Seconds()))
	AddReportEntry(label+": web availability, longest outage",
		fmt.Sprintf("%.2f%%, %.3fs", web.Availability, web.MaxOutage))
}

// expectSeedLayout: back to the seed layout, web-a on hv-a, web-b on hv-b,
// hv-c empty.
func expectSeedLayout(ctx context.Context) {
	st, err := lab.Status(ctx)
	Expect(err).NotTo(HaveOccurred())
	Expect(st.VMs).To(ConsistOf(
		HaveField("Hypervisor", "hv-a"), HaveField("Hypervisor", "hv-b")))
}

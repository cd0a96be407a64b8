package onhosts_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/sshtest"
)

// The scale figures: FL_ONHOSTS_SCALE=N starts N sshds in namespaces on
// one management bridge and cuts a link on all of them at one scheduled
// moment. Skipped without it (N sshds load a shared machine).
var _ = Describe("a step on many hosts at one scheduled moment", Ordered, func() {
	n, _ := strconv.Atoi(os.Getenv("FL_ONHOSTS_SCALE"))
	var (
		s   *sshtest.Site
		dir string
		hs  []*sshtest.SSHD
	)
	BeforeAll(func() {
		if n <= 0 || os.Geteuid() != 0 {
			Skip("set FL_ONHOSTS_SCALE=N (and run as root) for the scale figures")
		}
		dir = GinkgoT().TempDir()
		if d := os.Getenv("FL_ONHOSTS_KEEP"); d != "" { // keep the agents' logs
			dir = d
		}
		var err error
		s, err = sshtest.NewSite(dir)
		DeferCleanup(func() {
			if s != nil {
				s.Destroy()
			}
		})
		Expect(err).NotTo(HaveOccurred())
		var inv strings.Builder
		inv.WriteString("[fleet]\n")
		for i := 0; i < n; i++ {
			h, err := s.AddHost(fmt.Sprintf("f%03d", i), 10+i)
			Expect(err).NotTo(HaveOccurred())
			nh, err := nsutil.Handle(h.NS)
			Expect(err).NotTo(HaveOccurred())
			Expect(nh.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth1"}, PeerName: "eth1p"})).To(Succeed())
			l, err := nh.LinkByName("eth1")
			Expect(err).NotTo(HaveOccurred())
			Expect(nh.LinkSetUp(l)).To(Succeed())
			nh.Close()
			hs = append(hs, h)
			fmt.Fprintf(&inv, "%s ansible_host=%s\n", h.Name, h.Addr)
		}
		Expect(os.WriteFile(filepath.Join(dir, "inventory.ini"), []byte(inv.String()), 0o600)).To(Succeed())
	})

	It("injects on every host within a second of the schedule and reverts all", func() {
		p := filepath.Join(dir, "fleet.yaml")
		Expect(os.WriteFile(p, []byte(fmt.Sprintf(`version: 1
name: fleet
inventory: inventory.ini
hostDefaults: {user: root, identity: %s, knownHosts: %s, dialNetns: %s}
steps:
  - {name: cut, fault: link.down, on: "group:fleet", with: {link: eth1}, at: 3s, duration: 1s}
`, s.ClientKey, s.KnownHosts, s.Mgmt)), 0o600)).To(Succeed())
		env := append(os.Environ(),
			"FAULTLINE_STATE_DIR="+filepath.Join(dir, "state"),
			"FAULTLINE_AGENT_DIR="+filepath.Join(dir, "agent"),
			"FAULTLINE_AGENT_STATE_DIR="+filepath.Join(dir, "agent-state"))
		// plan: connection set-up (SSH, binary copied and verified, agent,
		// hello) and preflight on every host, nothing injected.
		pl := exec.Command(bin, "plan", p)
		pl.Env = env
		t0 := time.Now()
		pb, err := pl.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(pb))
		fmt.Fprintf(GinkgoWriter, "%d hosts: plan (connect, install, agents, preflight) %s\n", n, time.Since(t0).Round(time.Millisecond))
		out := filepath.Join(dir, "runs")
		cmd := exec.Command(bin, "run", "--no-progress", "--out", out, p)
		cmd.Env = env
		t0 = time.Now()
		b, err := cmd.CombinedOutput()
		wall := time.Since(t0)
		Expect(err).NotTo(HaveOccurred(), string(b))
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())

		f, err := os.Open(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		var method time.Duration
		var inj []time.Duration
		var prepared time.Duration
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var r struct {
				T, Name, Ev, Step string
				At, Done          time.Duration
			}
			Expect(json.Unmarshal(sc.Bytes(), &r)).To(Succeed())
			switch {
			case r.T == "phase" && r.Name == "method":
				method = r.At
			case r.T == "step" && r.Ev == "prepared":
				prepared = r.At
			case r.T == "hostStamp" && r.Ev == "injected":
				inj = append(inj, r.At)
			}
		}
		Expect(inj).To(HaveLen(n), "every host's inject is stamped")
		sched := method + 3*time.Second
		sort.Slice(inj, func(i, j int) bool { return inj[i] < inj[j] })
		skew := make([]time.Duration, n)
		for i, t := range inj {
			skew[i] = t - inj[0]
		}
		pct := func(q float64) time.Duration { return skew[int(q*float64(n-1))] }
		last := inj[n-1] - sched
		fmt.Fprintf(GinkgoWriter, "%d hosts: run %s wall, controller CPU %s, max RSS %d MiB; prepared on all %s after the method started\n",
			n, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), ru.Maxrss/1024, (prepared - method).Round(time.Millisecond))
		fmt.Fprintf(GinkgoWriter, "schedule to the last host's inject: %s; skew p50 %s, p99 %s, max %s\n",
			last.Round(time.Microsecond), pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), skew[n-1].Round(time.Microsecond))
		Expect(last).To(BeNumerically("<", time.Second))
		for _, h := range hs {
			Expect(linkUp(h.NS)).To(BeTrue(), h.Name)
		}
	})
})

package onhosts_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/sshtest"
)

// linkUp reads eth1's state in a host's namespace.
func linkUp(ns string) bool {
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName("eth1")
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

// watch polls eth1 on every host until stop; it returns, per namespace,
// whether the link was ever seen down.
func watch(nss []string) (stop func() map[string]bool) {
	seen := map[string]bool{}
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer GinkgoRecover()
		defer wg.Done()
		for {
			for _, ns := range nss {
				if !linkUp(ns) {
					mu.Lock()
					seen[ns] = true
					mu.Unlock()
				}
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() map[string]bool {
		close(done)
		wg.Wait()
		return seen
	}
}

var _ = Describe("steps and probes on hosts, through the binary", Ordered, func() {
	var (
		s      *sshtest.Site
		h1, h2 *sshtest.SSHD
		dir    string
	)

	BeforeAll(func() {
		if os.Geteuid() != 0 {
			Skip("needs root for network namespaces and sshd")
		}
		dir = GinkgoT().TempDir()
		var err error
		s, err = sshtest.NewSite(dir)
		DeferCleanup(func() {
			if s != nil {
				s.Destroy()
			}
		})
		Expect(err).NotTo(HaveOccurred())
		h1, err = s.AddHost("h1", 2)
		Expect(err).NotTo(HaveOccurred())
		h2, err = s.AddHost("h2", 3)
		Expect(err).NotTo(HaveOccurred())
		for _, h := range []*sshtest.SSHD{h1, h2} {
			nh, err := nsutil.Handle(h.NS)
			Expect(err).NotTo(HaveOccurred())
			d := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth1"}, PeerName: "eth1p"}
			Expect(nh.LinkAdd(d)).To(Succeed())
			l, err := nh.LinkByName("eth1")
			Expect(err).NotTo(HaveOccurred())
			Expect(nh.LinkSetUp(l)).To(Succeed())
			nh.Close()
		}
		Expect(os.WriteFile(filepath.Join(dir, "inventory.ini"), []byte(
			"[hypervisors]\nh1 ansible_host=198.19.0.2\nh2 ansible_host=198.19.0.3\n"), 0o600)).To(Succeed())
	})

	// experiment writes an experiment whose hosts are the site's.
	experiment := func(name, body string) string {
		head := fmt.Sprintf("version: 1\nname: %s\ninventory: inventory.ini\nhostDefaults: {user: root, identity: %s, knownHosts: %s, dialNetns: %s}\n",
			name, s.ClientKey, s.KnownHosts, s.Mgmt)
		p := filepath.Join(dir, name+".yaml")
		Expect(os.WriteFile(p, []byte(head+body), 0o600)).To(Succeed())
		return p
	}

	faultline := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(),
			"FAULTLINE_STATE_DIR="+filepath.Join(dir, "state"),
			"FAULTLINE_AGENT_DIR="+filepath.Join(dir, "agent"),
			"FAULTLINE_AGENT_STATE_DIR="+filepath.Join(dir, "agent-state"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		return out.String(), code
	}

	It("takes a link down on both hosts of a group at once, probes from one host, and brings the links back", func() {
		exp := experiment("cut-group", `probes:
  peer: {tcp: {address: "198.19.0.3:22", timeout: 200ms}, every: 20ms, on: h1}
steadyState:
  - {probe: peer, for: 200ms}
steps:
  - {name: cut, fault: link.down, on: "group:hypervisors", count: 2, with: {link: eth1}, duration: 1500ms}
observe: 300ms
verify:
  - {probe: peer, availability: ">= 99%"}
`)
		t0 := time.Now()
		out, code := faultline("plan", exp)
		GinkgoWriter.Printf("plan on 2 hosts (SSH, binary copied and verified, agents, preflight) took %s\n", time.Since(t0))
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("h1"))
		Expect(out).To(MatchRegexp(`h2 \(root@198\.19\.0\.3:22\): step cut; 1 targets`))
		Expect(out).To(ContainSubstring("blast radius across hosts: 2 of 2 hosts touched"))
		Expect(linkUp(h1.NS) && linkUp(h2.NS)).To(BeTrue(), "plan touches nothing")

		stop := watch([]string{h1.NS, h2.NS})
		runs := filepath.Join(dir, "runs-ok")
		out, code = faultline("run", "--no-progress", "--out", runs, exp)
		seen := stop()
		Expect(code).To(Equal(0), out)
		Expect(seen).To(HaveKeyWithValue(h1.NS, true), "eth1 went down on h1")
		Expect(seen).To(HaveKeyWithValue(h2.NS, true), "eth1 went down on h2")
		Expect(linkUp(h1.NS)).To(BeTrue(), "eth1 is back on h1")
		Expect(linkUp(h2.NS)).To(BeTrue(), "eth1 is back on h2")

		j, err := os.ReadFile(filepath.Join(runs, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(j)).To(ContainSubstring(`"hosts":["h1","h2"]`), "the picked hosts are recorded")
		Expect(string(j)).To(ContainSubstring(`"kind":"remote.hosts"`), "the undo record names the hosts")
		Expect(string(j)).To(ContainSubstring(`host:h1/`))
		Expect(string(j)).To(ContainSubstring(`host:h2/`))
		Expect(string(j)).To(ContainSubstring(`"probe":"peer"`), "samples of the probe on h1 are journaled")
		Expect(string(j)).To(MatchRegexp(`"t":"host","host":"h1","addr":"h1 \(root@198\.19\.0\.2:22\)","agentPid":\d+,"agentJournal":"[^"]+"`), "the journal says where each agent journaled")
		Expect(out).To(MatchRegexp(`host h1: clock mapped within ±\S+ \(round trip`))
		GinkgoWriter.Println(out)

		// The report states each host's clock error: what its stamps may be off by.
		rj, err := os.ReadFile(filepath.Join(runs, "report.json"))
		Expect(err).NotTo(HaveOccurred())
		var rep struct {
			Hosts []struct {
				Name       string   `json:"name"`
				ClockError float64  `json:"clockError"`
				Probes     []string `json:"probes"`
			} `json:"hosts"`
		}
		Expect(json.Unmarshal(rj, &rep)).To(Succeed())
		Expect(rep.Hosts).To(HaveLen(2))
		for _, h := range rep.Hosts {
			GinkgoWriter.Printf("report: host %s clock error ±%.3f ms\n", h.Name, h.ClockError*1000)
			Expect(h.ClockError).To(And(BeNumerically(">", 0), BeNumerically("<", 0.05)), "host %s", h.Name)
		}
		Expect(rep.Hosts[0].Name).To(Equal("h1"))
		Expect(rep.Hosts[0].Probes).To(Equal([]string{"peer"}))
		md, err := os.ReadFile(filepath.Join(runs, "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(MatchRegexp(`\| h1 \| .* \| ±\d+\.\d{3} ms \| peer \|`))
	})

	It("refuses a step on this machine that would cut the SSH connection to a host, unless allowLockout is set", func() {
		// Port h2 of the management bridge carries the connection to h1,
		// dialled from the management namespace (dialNetns).
		body := fmt.Sprintf(`steps:
  - {name: cut-mgmt, fault: link.down, with: {netns: %s, link: h2}, duration: 500ms}
  - {name: cut, fault: link.down, on: h1, with: {link: eth1}, duration: 500ms}
`, s.Mgmt)
		exp := experiment("cut-own-path", body)
		mgmtPortUp := func() bool {
			nh, err := nsutil.Handle(s.Mgmt)
			Expect(err).NotTo(HaveOccurred())
			defer nh.Close()
			l, err := nh.LinkByName("h2")
			Expect(err).NotTo(HaveOccurred())
			return l.Attrs().Flags&net.FlagUp != 0
		}
		stop := watch([]string{h1.NS})
		out, code := faultline("run", "--no-progress", "--out", filepath.Join(dir, "runs-own-path"), exp)
		seen := stop()
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("step cut-mgmt cuts the SSH connection to host h1 (198.19.0.2, dialled from netns " + s.Mgmt + ")"))
		Expect(out).To(ContainSubstring("port h2 of bridge br0 cut"))
		Expect(out).To(ContainSubstring("allowLockout"))
		Expect(seen).To(BeEmpty(), "nothing was injected on h1")
		Expect(mgmtPortUp()).To(BeTrue())

		// Allowed, the plan passes: the run's guard and h1's lease bring
		// everything back.
		allowed := experiment("cut-own-path-allowed", "safety: {allowLockout: true}\n"+body)
		out, code = faultline("plan", allowed)
		Expect(code).To(Equal(0), out)
		Expect(mgmtPortUp()).To(BeTrue(), "plan touches nothing")
	})

	It("refuses a host the inventory does not name, at its position", func() {
		exp := experiment("unknown-host", `steps:
  - {name: cut, fault: link.down, on: h9, with: {link: eth1}}
`)
		out, code := faultline("run", "--no-progress", "--out", filepath.Join(dir, "runs-unknown"), exp)
		Expect(code).To(Equal(2), out)
		Expect(out).To(MatchRegexp(`unknown-host\.yaml:\d+:\d+: steps\[0\]\.on: no host "h9"`))
	})

	It("refuses an unreachable host, a changed host key and a missing link, every one named, and injects nothing anywhere", func() {
		bad := filepath.Join(dir, "known_hosts.bad")
		other, _, _, err := sshtest.WriteKey(filepath.Join(dir, "other_key"))
		Expect(err).NotTo(HaveOccurred())
		pub, err := os.ReadFile(other + ".pub")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(bad, []byte("198.19.0.3 "+string(pub)), 0o600)).To(Succeed())
		exp := experiment("bad-hosts", fmt.Sprintf(`hosts:
  h2: {knownHosts: %s}
  h9: {address: 198.19.0.99}
steps:
  - {name: cut, fault: link.down, on: "h*", with: {link: eth1}}
`, bad))
		stop := watch([]string{h1.NS, h2.NS})
		out, code := faultline("run", "--no-progress", "--out", filepath.Join(dir, "runs-bad"), exp)
		seen := stop()
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("nothing was injected"))
		Expect(out).To(MatchRegexp(`host h2 \(198\.19\.0\.3:22\): host key CHANGED`))
		Expect(out).To(MatchRegexp(`host h9: connect 198\.19\.0\.99:22.*unreachable`))
		Expect(seen).To(BeEmpty(), "no link went down anywhere")
		_, err = os.Stat(filepath.Join(dir, "runs-bad", "journal.jsonl"))
		Expect(os.IsNotExist(err)).To(BeTrue(), "no run was started")

		missing := experiment("missing-link", `probes:
  peer: {tcp: {address: "198.19.0.3:22"}, netns: fl-nosuch, on: h1}
steps:
  - {name: cut, fault: link.down, on: "group:hypervisors", with: {link: eth9}}
verify:
  - {probe: peer, availability: ">= 99%"}
`)
		out, code = faultline("run", "--no-progress", "--out", filepath.Join(dir, "runs-missing"), missing)
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("host h1"))
		Expect(out).To(ContainSubstring("host h2"))
		Expect(strings.Count(out, "eth9")).To(BeNumerically(">=", 2), out)
		Expect(out).To(MatchRegexp(`probe peer: host h1: .*netns fl-nosuch`), "a probe in a namespace the host lacks")
	})

	It("aborts when a host is lost; the host's lease brings its link back, recover closes the record", func() {
		exp := experiment("lost-host", `safety: {guardTTL: 1s}
steps:
  - {name: cut, fault: link.down, on: "group:hypervisors", with: {link: eth1}, duration: 20s}
`)
		runs := filepath.Join(dir, "runs-lost")
		type result struct {
			out  string
			code int
		}
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			out, code := faultline("run", "--no-progress", "--out", runs, exp)
			done <- result{out, code}
		}()
		// Set-up (SSH, binary check, agents, preflight) alone takes 11-14 s
		// on a loaded 2-core machine.
		Eventually(func() bool { return !linkUp(h1.NS) && !linkUp(h2.NS) }, time.Minute, 10*time.Millisecond).Should(BeTrue(), "injected on both")
		// Cut h1's management link: the controller hears no more echoes.
		sshtest.SetLink(h1.NS, "eth0", false)
		cut := time.Now()
		DeferCleanup(func() { sshtest.SetLink(h1.NS, "eth0", true) })
		Eventually(func() bool { return linkUp(h1.NS) }, 5*time.Second, 5*time.Millisecond).Should(BeTrue(), "h1's agent reverts on its own")
		back := time.Since(cut)
		GinkgoWriter.Printf("h1 reverted by its lease %s after the control link was cut (guardTTL 1s)\n", back)
		Expect(back).To(BeNumerically("<", 1500*time.Millisecond), "within guardTTL + 0.5s")
		var r result
		Eventually(done, 20*time.Second).Should(Receive(&r))
		GinkgoWriter.Println(r.out)
		Expect(r.out).To(ContainSubstring("host h1 lost"))
		// The controller cannot confirm h1's revert: exit 4, recover closes it.
		Expect(r.code).To(Equal(4), r.out)
		Expect(r.out).To(ContainSubstring("run `faultline recover`"))
		Expect(linkUp(h2.NS)).To(BeTrue(), "the run reverted h2")

		sshtest.SetLink(h1.NS, "eth0", true)
		out, code := faultline("recover", filepath.Join(runs, "journal.jsonl"))
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("step cut (remote.hosts): reverted: on h1, h2"))
		out, code = faultline("recover", filepath.Join(runs, "journal.jsonl"))
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("nothing to recover"), "the record is closed")
		Expect(linkUp(h1.NS) && linkUp(h2.NS)).To(BeTrue())
	})

	It("leaves no fault behind on any host when the controller is SIGKILLed", func() {
		exp := experiment("killed", `safety: {guardTTL: 1s}
steps:
  - {name: cut, fault: link.down, on: "group:hypervisors", with: {link: eth1}, duration: 20s}
`)
		cmd := exec.Command(bin, "run", "--no-progress", "--out", filepath.Join(dir, "runs-killed"), exp)
		cmd.Env = append(os.Environ(),
			"FAULTLINE_STATE_DIR="+filepath.Join(dir, "state"),
			"FAULTLINE_AGENT_DIR="+filepath.Join(dir, "agent"),
			"FAULTLINE_AGENT_STATE_DIR="+filepath.Join(dir, "agent-state"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		Expect(cmd.Start()).To(Succeed())
		Eventually(func() bool { return !linkUp(h1.NS) && !linkUp(h2.NS) }, time.Minute, 10*time.Millisecond).Should(BeTrue(), "injected on both")
		Expect(cmd.Process.Kill()).To(Succeed())
		killed := time.Now()
		_ = cmd.Wait()
		Eventually(func() bool { return linkUp(h1.NS) && linkUp(h2.NS) }, 5*time.Second, 5*time.Millisecond).Should(BeTrue(), "both hosts revert on their own")
		back := time.Since(killed)
		GinkgoWriter.Printf("2/2 hosts reverted %s after SIGKILL of the controller (guardTTL 1s)\n", back)
		Expect(back).To(BeNumerically("<", 1500*time.Millisecond), "within guardTTL + 0.5s")

		// The run's own guard closes its records (or recover does): nothing stays open.
		Eventually(func() string {
			o, _ := faultline("recover")
			return o
		}, 20*time.Second, 500*time.Millisecond).Should(ContainSubstring("nothing to recover"))
		Expect(linkUp(h1.NS) && linkUp(h2.NS)).To(BeTrue())
	})

	It("injects one fault on hosts from the command line (inject --on)", func() {
		inv := filepath.Join(dir, "inventory-vars.ini")
		Expect(os.WriteFile(inv, []byte(fmt.Sprintf(`[hypervisors]
h1 ansible_host=198.19.0.2
h2 ansible_host=198.19.0.3

[all:vars]
ansible_user=root
ansible_ssh_private_key_file=%s
faultline_known_hosts=%s
faultline_dial_netns=%s
`, s.ClientKey, s.KnownHosts, s.Mgmt)), 0o600)).To(Succeed())
		stop := watch([]string{h1.NS, h2.NS})
		out, code := faultline("inject", "link.down", "--on", "group:hypervisors", "--inventory", inv,
			"--with", "link=eth1", "--for", "1s", "--no-progress", "--out", filepath.Join(dir, "runs-inject"))
		seen := stop()
		Expect(code).To(Equal(0), out)
		Expect(seen).To(HaveKeyWithValue(h1.NS, true))
		Expect(seen).To(HaveKeyWithValue(h2.NS, true))
		Expect(linkUp(h1.NS) && linkUp(h2.NS)).To(BeTrue())
	})
})

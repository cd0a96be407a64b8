package onhosts_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/sshtest"
)

// The scale figures. FAULTLINE_SCALE=N builds N hosts (N namespaces on
// one management bridge, each with its own sshd and agent) and prints
// the figures table; without it the same specs run on 5 hosts and only
// assert the behaviour.
//
//	FAULTLINE_SCALE=100 go test -v -count=1 -timeout 30m ./internal/engine/onhosts/ --ginkgo.focus 'at scale'
var _ = Describe("hosts at scale", Ordered, ContinueOnFailure, func() {
	n, figures := scaleHosts()
	const ttl = 3 * time.Second // guardTTL of the lease specs (the default)
	var (
		s     *sshtest.Site
		dir   string
		hs    []*sshtest.SSHD
		links *linkWatch
		env   []string
		row   = map[string]string{}
	)
	nKill := min(n, 20)

	BeforeAll(func() {
		if os.Geteuid() != 0 {
			Skip("needs root for network namespaces and sshd")
		}
		dir = GinkgoT().TempDir()
		if d := os.Getenv("FAULTLINE_SCALE_KEEP"); d != "" { // keep the agents' logs
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
		t0 := time.Now()
		var inv, kill strings.Builder
		inv.WriteString("[fleet]\n")
		kill.WriteString("[killed]\n")
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
			if i < nKill {
				fmt.Fprintf(&kill, "%s\n", h.Name)
			}
		}
		GinkgoWriter.Printf("%d sshds in namespaces on one bridge in %s\n", n, time.Since(t0).Round(time.Millisecond))
		Expect(os.WriteFile(filepath.Join(dir, "inventory.ini"), []byte(inv.String()+kill.String()), 0o600)).To(Succeed())
		links, err = watchLinks(hs)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(links.stop)
		env = append(os.Environ(),
			"FAULTLINE_STATE_DIR="+filepath.Join(dir, "state"),
			"FAULTLINE_AGENT_DIR="+filepath.Join(dir, "agent"),
			"FAULTLINE_AGENT_STATE_DIR="+filepath.Join(dir, "agent-state"))
		row["hosts"] = strconv.Itoa(n)
		row["ttl"] = ttl.String()
		row["load"] = loadAvg()
	})

	AfterAll(func() {
		if len(row) < 2 {
			return
		}
		table := figureTable(row)
		if figures {
			fmt.Print(table) // shown by go test -v
		} else {
			GinkgoWriter.Print(table)
		}
	})

	experiment := func(name, body string) string {
		p := filepath.Join(dir, name+".yaml")
		Expect(os.WriteFile(p, []byte(fmt.Sprintf("version: 1\nname: %s\ninventory: inventory.ini\nhostDefaults: {user: root, identity: %s, knownHosts: %s, dialNetns: %s}\n%s",
			name, s.ClientKey, s.KnownHosts, s.Mgmt, body)), 0o600)).To(Succeed())
		return p
	}
	command := func(args ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}

	It("connects every host: SSH, the binary and an agent each, in bounded parallel", func() {
		p := experiment("connect", `steps:
  - {name: cut, fault: link.down, on: "group:fleet", with: {link: eth1}, duration: 1s}
`)
		// Cold: nothing on the hosts yet. The namespaces share this
		// machine's files, so hosts after the first copies find it there.
		for _, round := range []string{"cold", "warm"} {
			cmd, out := command("plan", p)
			Expect(cmd.Run()).To(Succeed(), out.String())
			m := regexp.MustCompile(`(\d+) hosts in (\S+): SSH and binary (\S+), (\d+) copied; agents (\S+)\)`).FindStringSubmatch(out.String())
			Expect(m).NotTo(BeNil(), out.String())
			Expect(m[1]).To(Equal(strconv.Itoa(n)))
			if round == "warm" {
				Expect(m[4]).To(Equal("0"), "the binary is there: nothing copied")
			}
			row["connect "+round] = fmt.Sprintf("%s (SSH+binary %s, %s copied; agents %s)", m[2], m[3], m[4], m[5])
			GinkgoWriter.Printf("%d hosts, %s: %s\n", n, round, row["connect "+round])
		}
		Expect(links.allUp()).To(BeTrue(), "plan touches nothing")
	})

	It("cuts a link on every host at one scheduled moment", func() {
		p := experiment("fleet", `steps:
  - {name: cut, fault: link.down, on: "group:fleet", with: {link: eth1}, at: 3s, duration: 1s}
`)
		out := filepath.Join(dir, "runs-fleet")
		cmd, log := command("run", "--no-progress", "--out", out, p)
		t0 := time.Now()
		Expect(cmd.Run()).To(Succeed(), log.String())
		wall := time.Since(t0)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())

		method, prepared, inj := readStamps(filepath.Join(out, "journal.jsonl"))
		Expect(inj).To(HaveLen(n), "every host's inject is stamped")
		sched := method + 3*time.Second
		sort.Slice(inj, func(i, j int) bool { return inj[i] < inj[j] })
		skew := make([]time.Duration, n)
		for i, t := range inj {
			skew[i] = t - inj[0]
		}
		pct := func(q float64) time.Duration { return skew[int(q*float64(n-1)+0.5)] }
		last := inj[n-1] - sched
		row["last inject"] = ms(last)
		row["prepared"] = ms(prepared - method)
		row["skew"] = fmt.Sprintf("%s / %s / %s", ms(pct(0.5)), ms(pct(0.99)), ms(skew[n-1]))
		row["controller"] = fmt.Sprintf("%s CPU over a %s run, %d MiB max RSS", cpu.Round(10*time.Millisecond), wall.Round(100*time.Millisecond), ru.Maxrss/1024)
		GinkgoWriter.Printf("%d hosts: prepared on all %s after the method started; schedule to the last inject %s; skew p50/p99/max %s; controller %s\n",
			n, ms(prepared-method), row["last inject"], row["skew"], row["controller"])
		Expect(last).To(BeNumerically("<", time.Second), "all injected within 1 s of the schedule")
		Expect(pct(0.99)).To(BeNumerically("<", 100*time.Millisecond), "skew p99")
		Expect(links.downSince(t0)).To(HaveLen(n), "eth1 went down on every host")
		Expect(links.allUp()).To(BeTrue(), "and came back on every host")
	})

	// held runs an experiment that holds link.down on group's hosts,
	// waits until every one is down, calls cut, and measures how long each
	// host took to bring its link back on its own.
	held := func(name, group string, hosts []*sshtest.SSHD, cut func(*exec.Cmd)) (back []time.Duration, exited chan struct{}, log *bytes.Buffer) {
		p := experiment(name, fmt.Sprintf(`safety: {guardTTL: %s}
steps:
  - {name: hold, fault: link.down, on: "group:%s", with: {link: eth1}, duration: 120s}
`, ttl, group))
		run, log := command("run", "--no-progress", "--out", filepath.Join(dir, "runs-"+name), p)
		Expect(run.Start()).To(Succeed())
		exited = make(chan struct{})
		go func() { _ = run.Wait(); close(exited) }()
		DeferCleanup(func() {
			_ = run.Process.Kill()
			<-exited
		})
		Eventually(func() int { return links.downCount(hosts) }, 2*time.Minute, 20*time.Millisecond).Should(Equal(len(hosts)),
			func() string { return "held on every host: " + log.String() })
		time.Sleep(300 * time.Millisecond) // a few heartbeats into the hold
		at := time.Now()
		cut(run)
		deadline := at.Add(ttl + 5*time.Second)
		for time.Now().Before(deadline) && links.upCount(hosts, at) < len(hosts) {
			time.Sleep(20 * time.Millisecond)
		}
		return links.upAfter(hosts, at), exited, log
	}

	It("reverts on every host on its own when the management network is cut", func() {
		back, exited, log := held("mgmt-cut", "fleet", hs, func(*exec.Cmd) { sshtest.SetLink(s.Mgmt, "br0", false) })
		sshtest.SetLink(s.Mgmt, "br0", true)
		ok, worst := within(back, ttl+500*time.Millisecond)
		row["mgmt cut"] = fmt.Sprintf("%d/%d, worst %s", ok, n, ms(worst))
		GinkgoWriter.Printf("management network cut with link.down held on %d hosts (guardTTL %s): %s\n", n, ttl, row["mgmt cut"])
		Expect(ok).To(Equal(n), "every host within guardTTL + 0.5 s")
		// The controller hears no echo for guardTTL and gives up the hosts.
		Eventually(exited, 60*time.Second).Should(BeClosed(), "the run ends")
		Expect(log.String()).To(ContainSubstring("lost"))
	})

	It("reverts on every host when the controller is SIGKILLed", func() {
		back, _, _ := held("killed", "killed", hs[:nKill], func(run *exec.Cmd) { Expect(run.Process.Kill()).To(Succeed()) })
		ok, worst := within(back, ttl+500*time.Millisecond)
		row["SIGKILL"] = fmt.Sprintf("%d/%d, worst %s", ok, nKill, ms(worst))
		GinkgoWriter.Printf("controller SIGKILLed with link.down held on %d hosts (guardTTL %s): %s\n", nKill, ttl, row["SIGKILL"])
		Expect(ok).To(Equal(nKill), "every host within guardTTL + 0.5 s")
	})
})

// scaleHosts is FAULTLINE_SCALE (figures printed) or 5 (behaviour only).
// At most 200: the management network is one /24.
func scaleHosts() (int, bool) {
	if v, err := strconv.Atoi(os.Getenv("FAULTLINE_SCALE")); err == nil && v > 0 {
		return min(v, 200), true
	}
	return 5, false
}

// readStamps reads a run's journal: when the method began, when the
// step was prepared, and when its inject happened on each host (all on
// the controller's clock, offsets from the run's start).
func readStamps(p string) (method, prepared time.Duration, inj []time.Duration) {
	f, err := os.Open(p)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r struct {
			T, Name, Ev, Step string
			At                time.Duration
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
	Expect(sc.Err()).NotTo(HaveOccurred())
	return method, prepared, inj
}

// within counts the durations up to d (a missing one is -1) and gives
// the worst of all.
func within(ds []time.Duration, d time.Duration) (int, time.Duration) {
	ok, worst := 0, time.Duration(0)
	for _, x := range ds {
		if x < 0 {
			worst = time.Hour
			continue
		}
		if x <= d {
			ok++
		}
		worst = max(worst, x)
	}
	return ok, worst
}

func ms(d time.Duration) string {
	if d >= time.Hour {
		return "never"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func figureTable(r map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| figure | %s hosts |\n|---|---|\n", r["hosts"])
	for _, k := range []struct{ key, label string }{
		{"connect cold", "connection set-up, binary not yet on the hosts"},
		{"connect warm", "connection set-up, binary there"},
		{"prepared", "step prepared on every host (journaled there), after the method began"},
		{"last inject", "schedule → last host's inject"},
		{"skew", "inject skew across hosts p50 / p99 / max"},
		{"controller", "controller (faultline run)"},
		{"mgmt cut", "management network cut: reverted within guardTTL + 0.5 s"},
		{"SIGKILL", "controller SIGKILLed: reverted within guardTTL + 0.5 s"},
		{"ttl", "guardTTL of the lease figures"},
		{"load", "load average when it started (1/5/15 min)"},
	} {
		if v, ok := r[k.key]; ok {
			fmt.Fprintf(&b, "| %s | %s |\n", k.label, v)
		}
	}
	return b.String()
}

// linkWatch follows eth1 on every host through netlink notifications
// from inside each namespace, stamping each change when it arrives.
type linkWatch struct {
	mu    sync.Mutex
	up    map[string]bool
	downs map[string][]time.Time
	ups   map[string][]time.Time
	done  chan struct{}
	wg    sync.WaitGroup
}

func watchLinks(hs []*sshtest.SSHD) (*linkWatch, error) {
	w := &linkWatch{up: map[string]bool{}, downs: map[string][]time.Time{}, ups: map[string][]time.Time{}, done: make(chan struct{})}
	for _, h := range hs {
		ns, err := nsutil.Open(h.NS)
		if err != nil {
			w.stop()
			return nil, err
		}
		ch := make(chan netlink.LinkUpdate, 16)
		err = netlink.LinkSubscribeWithOptions(ch, w.done, netlink.LinkSubscribeOptions{Namespace: &ns})
		ns.Close()
		if err != nil {
			w.stop()
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		w.up[h.Name] = true
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for u := range ch {
				if u.Link == nil || u.Link.Attrs().Name != "eth1" {
					continue
				}
				now := time.Now()
				up := u.Link.Attrs().Flags&net.FlagUp != 0
				w.mu.Lock()
				if up != w.up[h.Name] {
					w.up[h.Name] = up
					if up {
						w.ups[h.Name] = append(w.ups[h.Name], now)
					} else {
						w.downs[h.Name] = append(w.downs[h.Name], now)
					}
				}
				w.mu.Unlock()
			}
		}()
	}
	return w, nil
}

func (w *linkWatch) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
}

func (w *linkWatch) allUp() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, up := range w.up {
		if !up {
			return false
		}
	}
	return true
}

func (w *linkWatch) downCount(hs []*sshtest.SSHD) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := 0
	for _, h := range hs {
		if !w.up[h.Name] {
			c++
		}
	}
	return c
}

// downSince lists the hosts whose eth1 went down after t.
func (w *linkWatch) downSince(t time.Time) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for h, ds := range w.downs {
		if len(ds) > 0 && ds[len(ds)-1].After(t) {
			out = append(out, h)
		}
	}
	return out
}

func (w *linkWatch) upCount(hs []*sshtest.SSHD, t time.Time) int {
	c := 0
	for _, d := range w.upAfter(hs, t) {
		if d >= 0 {
			c++
		}
	}
	return c
}

// upAfter is, per host, how long after t its eth1 came back up (-1: not yet).
func (w *linkWatch) upAfter(hs []*sshtest.SSHD, t time.Time) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]time.Duration, len(hs))
	for i, h := range hs {
		out[i] = -1
		for _, u := range w.ups[h.Name] {
			if u.After(t) {
				out[i] = u.Sub(t)
				break
			}
		}
	}
	return out
}

package remote_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/remote"
)

func linkUp(ns string) bool {
	GinkgoHelper()
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName("eth0")
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

// child is `faultline agent --stdio` as a child process.
type child struct {
	cmd   *exec.Cmd
	state string
	io.Reader
	io.WriteCloser
	exited chan error
}

func startAgent() *child {
	ch := &child{state: GinkgoT().TempDir(), exited: make(chan error, 1)}
	ch.cmd = exec.Command(bin, "--state-dir", ch.state, "agent", "--stdio")
	ch.cmd.Stderr = GinkgoWriter
	ch.cmd.WaitDelay = 2 * time.Second
	var err error
	ch.WriteCloser, err = ch.cmd.StdinPipe()
	Expect(err).NotTo(HaveOccurred())
	ch.Reader, err = ch.cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(ch.cmd.Start()).To(Succeed())
	reaped := make(chan struct{})
	go func() { ch.exited <- ch.cmd.Wait(); close(reaped) }()
	DeferCleanup(func() {
		_ = ch.cmd.Process.Kill()
		<-reaped
	})
	return ch
}

func dial(ch *child, ttl time.Duration) *remote.Client {
	c, err := remote.Dial(context.Background(), ch, remote.Config{Host: "hv-x", Run: "r-remote",
		Experiment: "remote-spec", GuardTTL: ttl, Version: "dev"})
	Expect(err).NotTo(HaveOccurred())
	return c
}

func cut(c *remote.Client, ns string) *remote.Fault {
	GinkgoHelper()
	params, _ := json.Marshal(map[string]string{"netns": ns, "link": "eth0"})
	f, err := remote.NewHost(c).NewFault(context.Background(), remote.StepSpec{Name: "cut", Kind: "link.down", Params: params, Revert: "auto"})
	Expect(err).NotTo(HaveOccurred())
	Expect(f.(interface{ Preflight(context.Context) error }).Preflight(context.Background())).To(Succeed())
	_, err = f.Prepare(context.Background())
	Expect(err).NotTo(HaveOccurred())
	return f.(*remote.Fault)
}

// fastARP retries a lost ARP request after 1 ms instead of 1 s. A link
// that comes up passes packets only once its carrier is on: an ARP
// request sent in between is dropped, and the neighbour then waits a
// second for the retry. The path really is out that long, but that
// measures ARP, not the probe.
func fastARP(ns, link string) {
	GinkgoHelper()
	Expect(nsutil.Do(ns, func() error {
		return os.WriteFile("/proc/sys/net/ipv4/neigh/"+link+"/retrans_time_ms", []byte("1"), 0o644)
	})).To(Succeed())
}

// acceptor listens in ns and closes every connection at once: a server
// that keeps up with 1 kHz connects on a loaded machine.
func acceptor(ns, addr string) string {
	var ln net.Listener
	Expect(nsutil.Do(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", addr+":81")
		return err
	})).To(Succeed())
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
		}
	}()
	return addr + ":81"
}

var _ = Describe("a host's agent as a child process", Serial, func() {
	It("injects and reverts a real link.down on command, and exits cleanly on shutdown", func() {
		t := nettest.New("fl-rc", "198.18.171", false)
		ch := startAgent()
		c := dial(ch, 2*time.Second)
		f := cut(c, t.Client)
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeFalse())
		Expect(f.Revert(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeTrue())
		Expect(c.Close(context.Background())).To(Succeed())
		Eventually(ch.exited, 5*time.Second).Should(Receive(BeNil()))
		run, err := journal.ReadFile(c.Agent().Journal)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(BeEmpty())
	})

	It("refuses a step whose link is missing on the host, naming the host, and injects nothing", func() {
		t := nettest.New("fl-rm", "198.18.172", false)
		ch := startAgent()
		c := dial(ch, 2*time.Second)
		params, _ := json.Marshal(map[string]string{"netns": t.Client, "link": "eth9"})
		f, err := remote.NewHost(c).NewFault(context.Background(), remote.StepSpec{Name: "cut", Kind: "link.down", Params: params})
		Expect(err).NotTo(HaveOccurred())
		err = f.(interface{ Preflight(context.Context) error }).Preflight(context.Background())
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("host hv-x"))
		Expect(err.Error()).To(ContainSubstring("eth9"))
		Expect(c.Close(context.Background())).To(Succeed())
	})

	It("leaves the revert to the host guard when the agent is SIGKILLed", func() {
		t := nettest.New("fl-rk", "198.18.173", false)
		ch := startAgent()
		ttl := time.Second
		c := dial(ch, ttl)
		f := cut(c, t.Client)
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeFalse())
		killed := time.Now()
		Expect(ch.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		Eventually(func() bool { return linkUp(t.Client) }, ttl+2*time.Second, time.Millisecond).Should(BeTrue())
		back := time.Since(killed)
		GinkgoWriter.Printf("agent SIGKILLed: link back after %s (ttl %s)\n", back, ttl)
		AddReportEntry("agent SIGKILL: link back after", back.String())
		Expect(back).To(BeNumerically("<", ttl+500*time.Millisecond))
		var lost error
		Eventually(c.Lost(), time.Second).Should(Receive(&lost))
		Expect(lost).To(MatchError(remote.ErrLost))
		Eventually(func() []journal.OpenUndo {
			run, err := journal.ReadFile(c.Agent().Journal)
			Expect(err).NotTo(HaveOccurred())
			return run.OpenUndos()
		}, time.Second).Should(BeEmpty())
		run, _ := journal.ReadFile(c.Agent().Journal)
		Expect(run.Steps[len(run.Steps)-1].By).To(Equal("guard"))
		Eventually(func() string {
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(c.Agent().Journal), "guard.log"))
			return string(log)
		}, time.Second).Should(ContainSubstring("link.down): reverted"))
	})

	It("leaves the revert to the host guard when the agent hangs, and tells the controller", func() {
		t := nettest.New("fl-rh", "198.18.176", false)
		ch := startAgent()
		ttl := time.Second
		c := dial(ch, ttl)
		f := cut(c, t.Client)
		Expect(f.Inject(context.Background())).To(Succeed())
		stopped := time.Now()
		Expect(ch.cmd.Process.Signal(syscall.SIGSTOP)).To(Succeed())
		DeferCleanup(func() { _ = ch.cmd.Process.Signal(syscall.SIGCONT) })
		Eventually(func() bool { return linkUp(t.Client) }, ttl+2*time.Second, time.Millisecond).Should(BeTrue())
		back := time.Since(stopped)
		GinkgoWriter.Printf("agent SIGSTOPped: link back after %s (ttl %s)\n", back, ttl)
		AddReportEntry("agent hung: link back after", back.String())
		Expect(back).To(BeNumerically(">=", ttl*3/4), "a hung agent is waited for, not a dead one")
		Expect(back).To(BeNumerically("<", ttl+500*time.Millisecond))
		var lost error
		Eventually(c.Lost(), ttl).Should(Receive(&lost))
		Expect(lost.Error()).To(ContainSubstring("no heartbeat echo"))
	})

	// 1 ms probing needs the CPU: on a machine loaded far beyond its cores
	// a check can stall for milliseconds, so a bad attempt is retried.
	It("streams probe samples mapped onto the controller's clock: a 300 ms cut at 1 ms probing", FlakeAttempts(3), func() {
		t := nettest.New("fl-rp", "198.18.174", false)
		fastARP(t.Client, "eth0")
		fastARP(t.Server, "eth0")
		ch := startAgent()
		c := dial(ch, 3*time.Second)
		time.Sleep(300 * time.Millisecond) // heartbeats for the clock filter
		est := c.Clock()
		// Same machine, one CLOCK_MONOTONIC: the true offset is the
		// difference of the two origins on it.
		_, ctrlMono := c.Epoch()
		trueOff := time.Duration(ctrlMono - c.Agent().EpochMono)
		GinkgoWriter.Printf("clock: estimated offset %s ± %s (rtt %s, %d round trips), true %s, off by %s\n",
			est.Offset, est.Error, est.RTT, est.Samples, trueOff, (est.Offset - trueOff).Abs())
		AddReportEntry("clock estimate error (same machine)", (est.Offset - trueOff).Abs().String())
		// The truth has its own error: each origin is two clock reads,
		// which a loaded machine can preempt in between.
		Expect((est.Offset - trueOff).Abs()).To(BeNumerically("<=", est.Error+100*time.Microsecond))
		Expect(est.Error).To(BeNumerically("<", time.Millisecond))

		cutAccuracy("remote", remote.NewHost(c), t, cut(c, t.Client))
		Expect(c.Close(context.Background())).To(Succeed())
	})
})

// stampedFault is a fault whose inject and revert calls are bracketed by
// stamps on this machine's clock, as offsets from base.
type stampedFault interface {
	Inject(context.Context) error
	Revert(context.Context) error
	InjectedAt(base time.Time) (start, done time.Duration)
	RevertedAt(base time.Time) (start, done time.Duration)
}

// cutAccuracy samples a 1 ms tcp probe through ex from t's client while f
// cuts the client's link for 300 ms, and holds the measured outage to
// within 5 ms of the kernel's.
func cutAccuracy(label string, ex remote.Executor, t *nettest.Topo, f stampedFault) {
	GinkgoHelper()
	base := time.Now()
	// Truth, independent of the agent: the kernel's own link events in
	// the namespace, stamped on arrival in this process by a real-time
	// thread.
	var downAt, upAt time.Duration
	watched := make(chan struct{})
	stopWatch := watchLink(t.Client, "eth0", base, func(e linkEvent) bool {
		up := e.Link.Attrs().Flags&net.FlagUp != 0
		GinkgoWriter.Printf("  link event at %s: flags %s oper %s\n", e.At, e.Link.Attrs().Flags, e.Link.Attrs().OperState)
		if !up && downAt == 0 {
			downAt = e.At
		}
		if up && downAt != 0 {
			upAt = e.At
			close(watched)
			return true
		}
		return false
	})
	defer stopWatch()
	var mu sync.Mutex
	var samples []probes.Sample
	def := &experiments.Probe{Inline: experiments.Inline{Kind: "tcp", With: map[string]any{"address": acceptor(t.Server, t.ServerAddr), "timeout": "50ms"}},
		Every: experiments.Duration(time.Millisecond), Netns: t.Client}
	stop, err := ex.StartProbes(context.Background(), base, []remote.ProbeSpec{{Name: "web", Def: def}},
		func(_ string, s probes.Sample) { mu.Lock(); samples = append(samples, s); mu.Unlock() })
	Expect(err).NotTo(HaveOccurred())
	time.Sleep(300 * time.Millisecond)
	Expect(f.Inject(context.Background())).To(Succeed())
	injStart, injDone := f.InjectedAt(base)
	time.Sleep(300 * time.Millisecond)
	Expect(f.Revert(context.Background())).To(Succeed())
	time.Sleep(300 * time.Millisecond)
	stop()

	mu.Lock()
	defer mu.Unlock()
	GinkgoWriter.Printf(label+" probe: %d samples in %s\n", len(samples), samples[len(samples)-1].Start-samples[0].Start)
	// 1 ms probing for about 1.2 s; a loaded machine skips ticks.
	Expect(len(samples)).To(BeNumerically(">", 300))
	Expect(sort.SliceIsSorted(samples, func(i, j int) bool { return samples[i].Start < samples[j].Start })).To(BeTrue())
	// maxOutage as verify measures it: first failed sample's start to
	// the next ok sample's start.
	var outStart, outEnd time.Duration
	var longest time.Duration
	for i := 0; i < len(samples); i++ {
		if samples[i].OK {
			continue
		}
		j := i
		for j < len(samples) && !samples[j].OK {
			j++
		}
		if j == len(samples) { // failing when the probe stopped: no end to measure
			GinkgoWriter.Printf("trailing failures from %s: %s\n", samples[i].Start, samples[i].Detail)
			for _, t := range samples[max(i, len(samples)-8):] {
				GinkgoWriter.Printf("  %s ok=%v %s %s\n", t.Start, t.OK, t.Latency, t.Detail)
			}
			break
		}
		if j-i > 5 {
			for _, t := range samples[max(i-2, 0):min(i+3, j)] {
				GinkgoWriter.Printf("  outage edge %s ok=%v %s %s\n", t.Start, t.OK, t.Latency, t.Detail)
			}
			for _, t := range samples[max(j-4, i):min(j+3, len(samples))] {
				GinkgoWriter.Printf("  outage end  %s ok=%v %s %s\n", t.Start, t.OK, t.Latency, t.Detail)
			}
		}
		if d := samples[j].Start - samples[i].Start; d > longest {
			longest, outStart, outEnd = d, samples[i].Start, samples[j].Start
		}
		i = j
	}
	Eventually(watched, time.Second).Should(BeClosed())
	// The link went down inside inject and came up inside revert (the
	// executor's stamps); the kernel's events, stamped on arrival here,
	// bound it from above. Clamped together they are the truth.
	revStart, revDone := f.RevertedAt(base)
	down := min(max(downAt, injStart), injDone)
	up := min(max(upAt, revStart), revDone)
	truth := up - down
	GinkgoWriter.Printf(label+" probe: outage %s measured, %s true (down at %s, up at %s; kernel events seen at %s and %s; inject/revert stamps: inject %s..%s, revert %s..%s): off by %s; outage starts %s after the link went down\n",
		longest, truth, down, up, downAt, upAt, injStart, injDone, revStart, revDone, (longest - truth).Abs(), outStart-down)
	AddReportEntry(label+": 300ms cut at 1ms: measured outage vs truth", (longest - truth).Abs().String())
	// The goal: within 5 ms of truth at 1 ms probing on an idle control
	// link. A check is dated from when its socket exists in the
	// namespace, so time spent entering it does not date it early.
	bound := 5 * time.Millisecond
	Expect(longest).To(BeNumerically("~", truth, bound))
	// Mapped onto this clock, the outage sits where the kernel saw it.
	Expect(outStart).To(BeNumerically("~", down, bound))
	Expect(outEnd).To(BeNumerically("~", up, bound))
}

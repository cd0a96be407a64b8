package guard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nsutil"
)

// cutInNs makes a namespace with a veth pair, cuts one end with a real
// link.down recorded in a journal (prepared, then injected), and returns
// the namespace, its snapshot before the cut and the journal.
func cutInNs() (string, netfault.NetnsSnapshot, string) {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	ns := "fl-g-" + hex.EncodeToString(b[:])
	Expect(nsutil.Create(ns)).To(Succeed())
	DeferCleanup(nsutil.Delete, ns)
	// IPv4 only: IPv6 link-local addresses appear on their own and would
	// make snapshots differ for no fault of the guard.
	Expect(nsutil.Do(ns, func() error {
		for _, k := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})).To(Succeed())
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "peer0"})).To(Succeed())
	for _, n := range []string{"eth0", "peer0"} {
		l, err := h.LinkByName(n)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetUp(l)).To(Succeed())
	}
	l, _ := h.LinkByName("eth0")
	a, _ := netlink.ParseAddr("198.18.90.1/24")
	Expect(h.AddrAdd(l, a)).To(Succeed())
	ctx := context.Background()
	before, err := netfault.SnapshotNetns(ctx, ns)
	Expect(err).NotTo(HaveOccurred())

	kind, _ := faults.Lookup("link.down")
	params, _ := json.Marshal(map[string]any{"netns": ns, "link": "eth0"})
	f, err := kind.NewFault(params)
	Expect(err).NotTo(HaveOccurred())
	undo, err := f.Prepare(ctx)
	Expect(err).NotTo(HaveOccurred())
	jpath := filepath.Join(GinkgoT().TempDir(), "journal.jsonl")
	jw, err := journal.Create(jpath)
	Expect(err).NotTo(HaveOccurred())
	Expect(jw.Header(journal.Header{Run: "guarded", Experiment: &experiments.Experiment{Version: 1, Name: "g"}, Wall: time.Now()})).To(Succeed())
	Expect(jw.Step(journal.StepRec{Step: "cut", Ev: journal.EvPrepared, Undo: &undo, Revert: "auto"})).To(Succeed())
	Expect(f.Inject(ctx)).To(Succeed())
	Expect(jw.Close()).To(Succeed())
	after, _ := netfault.SnapshotNetns(ctx, ns)
	Expect(after.Diff(before)).NotTo(BeEmpty(), "the cut is in place")
	return ns, before, jpath
}

func socketPair() (runner, guardEnd net.Conn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "lease")
		defer f.Close()
		c, err := net.FileConn(f)
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	return conn(fds[0]), conn(fds[1])
}

func serve(conn net.Conn, jpath string, ttl time.Duration) chan guard.Outcome {
	out := make(chan guard.Outcome, 1)
	go func() {
		out <- guard.Serve(context.Background(), conn, guard.ServeConfig{StateDir: GinkgoT().TempDir(),
			RunID: "guarded", Journal: jpath, TTL: ttl, Log: GinkgoWriter})
	}()
	return out
}

func expectRevertedByGuard(ns string, before netfault.NetnsSnapshot, jpath string) {
	after, err := netfault.SnapshotNetns(context.Background(), ns)
	Expect(err).NotTo(HaveOccurred())
	Expect(after.Diff(before)).To(BeEmpty())
	run, err := journal.ReadFile(jpath)
	Expect(err).NotTo(HaveOccurred())
	Expect(run.OpenUndos()).To(BeEmpty())
	last := run.Steps[len(run.Steps)-1]
	Expect(last.Ev).To(Equal(journal.EvReverted))
	Expect(last.By).To(Equal("guard"))
}

var _ = Describe("guard", Serial, func() {
	It("reverts at once when the runner's end of the lease closes (the runner died)", func() {
		ns, before, jpath := cutInNs()
		runner, g := socketPair()
		done := serve(g, jpath, 2*time.Second)
		buf := make([]byte, 1)
		_, err := runner.Read(buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(buf[0]).To(Equal(byte('R')))
		_, _ = runner.Write([]byte("hh"))
		closed := time.Now()
		runner.Close()
		var o guard.Outcome
		Eventually(done, 2*time.Second).Should(Receive(&o))
		Expect(o.Clean).To(BeFalse())
		Expect(o.Reason).To(ContainSubstring("closed the lease"))
		Expect(o.Err).NotTo(HaveOccurred())
		Expect(o.Reverted.Sub(closed)).To(BeNumerically("<", 2*time.Second), "well within the TTL")
		expectRevertedByGuard(ns, before, jpath)
	})

	It("reverts when heartbeats stop for the TTL though the runner's end stays open (a hung runner)", func() {
		ns, before, jpath := cutInNs()
		runner, g := socketPair()
		defer runner.Close()
		ttl := 300 * time.Millisecond
		done := serve(g, jpath, ttl)
		for i := 0; i < 5; i++ { // beating: no revert
			_, err := runner.Write([]byte{'h'})
			Expect(err).NotTo(HaveOccurred())
			time.Sleep(ttl / 3)
		}
		Consistently(done, ttl/2).ShouldNot(Receive())
		var o guard.Outcome
		Eventually(done, 2*ttl).Should(Receive(&o))
		Expect(o.Reason).To(ContainSubstring("no heartbeat within 300ms"))
		expectRevertedByGuard(ns, before, jpath)
	})

	It("reverts when its runner died before it came up (it cannot even say ready)", func() {
		ns, before, jpath := cutInNs()
		runner, g := socketPair()
		runner.Close()
		done := serve(g, jpath, 2*time.Second)
		var o guard.Outcome
		Eventually(done, 2*time.Second).Should(Receive(&o))
		Expect(o.Clean).To(BeFalse())
		Expect(o.Reason).To(Or(ContainSubstring("runner gone before the guard was ready"), ContainSubstring("closed the lease")))
		Expect(o.Err).NotTo(HaveOccurred())
		expectRevertedByGuard(ns, before, jpath)
	})

	It("exits without reverting when the run ends cleanly", func() {
		ns, before, jpath := cutInNs()
		runner, g := socketPair()
		defer runner.Close()
		done := serve(g, jpath, time.Second)
		_, _ = runner.Write([]byte{'h', 'D'})
		var o guard.Outcome
		Eventually(done, time.Second).Should(Receive(&o))
		Expect(o.Clean).To(BeTrue())
		after, _ := netfault.SnapshotNetns(context.Background(), ns)
		Expect(after.Diff(before)).NotTo(BeEmpty(), "a clean end leaves reverting to the run")
	})

	Context("started as a process of its own session", func() {
		start := func(jpath string) *guard.Lease {
			os.Setenv("FL_GUARD_HELPER", "1")
			os.Setenv("FL_GUARD_JOURNAL", jpath)
			os.Setenv("FL_GUARD_STATE", GinkgoT().TempDir())
			defer os.Unsetenv("FL_GUARD_HELPER")
			exe, err := os.Executable()
			Expect(err).NotTo(HaveOccurred())
			l, err := guard.Start(context.Background(), guard.StartConfig{Exe: exe, TTL: 500 * time.Millisecond,
				LogPath: filepath.Join(GinkgoT().TempDir(), "guard.log")})
			Expect(err).NotTo(HaveOccurred())
			return l
		}

		It("holds the lease in a new session, and a clean release leaves the faults to the run", func() {
			ns, before, jpath := cutInNs()
			l := start(jpath)
			sid, err := unix.Getsid(l.PID())
			Expect(err).NotTo(HaveOccurred())
			Expect(sid).To(Equal(l.PID()), "the guard leads its own session")
			Consistently(l.Check, time.Second).Should(Succeed(), "heartbeats keep the lease past the TTL")
			Expect(l.Release(2 * time.Second)).To(Succeed())
			after, _ := netfault.SnapshotNetns(context.Background(), ns)
			Expect(after.Diff(before)).NotTo(BeEmpty())
		})

		It("is spawned without waiting; Ready fails for a guard that never comes up, which is reaped, and Release returns", func() {
			l, err := guard.Spawn(context.Background(), guard.StartConfig{Exe: "/bin/false", TTL: 500 * time.Millisecond,
				LogPath: filepath.Join(GinkgoT().TempDir(), "guard.log")})
			Expect(err).NotTo(HaveOccurred(), "Spawn does not wait for the guard")
			Expect(l.Ready(context.Background())).To(MatchError(ContainSubstring("guard did not come up")))
			Expect(syscall.Kill(l.PID(), 0)).To(MatchError(syscall.ESRCH), "reaped")
			done := make(chan error, 1)
			go func() { done <- l.Release(time.Second) }()
			Eventually(done, 500*time.Millisecond).Should(Receive(BeNil()))
		})

		It("is armed as soon as it is spawned; a guard that never comes up is a lost lease", func() {
			l, err := guard.Spawn(context.Background(), guard.StartConfig{Exe: "/bin/sleep", Args: []string{"5"},
				TTL: 500 * time.Millisecond, ReadyTimeout: 300 * time.Millisecond,
				LogPath: filepath.Join(GinkgoT().TempDir(), "guard.log")})
			Expect(err).NotTo(HaveOccurred())
			armed := time.Now()
			Expect(l.Armed(context.Background())).To(Succeed(), "the guard process exists: nothing waits for it to come up")
			Expect(time.Since(armed)).To(BeNumerically("<", 50*time.Millisecond))
			Expect(l.Check()).To(Succeed(), "still coming up")
			var lost error
			Eventually(l.Lost(), 2*time.Second).Should(Receive(&lost), "the run hears of it and reverts itself")
			Expect(lost).To(MatchError(guard.ErrLost))
			Expect(lost).To(MatchError(ContainSubstring("guard did not come up")))
			Expect(l.Check()).To(MatchError(guard.ErrLost))
			Expect(l.Armed(context.Background())).To(MatchError(ContainSubstring("guard did not come up")))
			Expect(syscall.Kill(l.PID(), 0)).To(MatchError(syscall.ESRCH), "killed and reaped")
			Expect(l.Release(time.Second)).To(Succeed())
		})

		It("tells the runner at once when the guard dies", func() {
			_, _, jpath := cutInNs()
			l := start(jpath)
			Expect(syscall.Kill(l.PID(), syscall.SIGKILL)).To(Succeed())
			var err error
			Eventually(l.Lost(), time.Second).Should(Receive(&err))
			Expect(err).To(MatchError(guard.ErrLost))
			Expect(l.Check()).To(MatchError(guard.ErrLost))
			_ = l.Release(time.Second)
		})
	})
})

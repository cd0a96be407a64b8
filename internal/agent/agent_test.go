package agent_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/agent"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/remote"
	"github.com/faultline/faultline/internal/wire"

	_ "github.com/faultline/faultline/faults/netfault"
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

// served is an agent served in this process over two pipes.
type served struct {
	state string
	ctrlR *os.File // controller reads the agent's frames
	ctrlW *os.File // controller writes frames to the agent
	done  chan agent.Outcome
}

func serve(version string) *served {
	ar, cw, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	cr, aw, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	s := &served{state: GinkgoT().TempDir(), ctrlR: cr, ctrlW: cw, done: make(chan agent.Outcome, 1)}
	go func() {
		defer aw.Close()
		defer ar.Close()
		s.done <- agent.Serve(context.Background(), ar, aw, agent.Options{StateDir: s.state, Version: version, Log: GinkgoWriter})
	}()
	DeferCleanup(func() { cw.Close(); cr.Close() })
	return s
}

type rwc struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (r rwc) Close() error {
	for _, c := range r.closers {
		c.Close()
	}
	return nil
}

func (s *served) client(ttl time.Duration) *remote.Client {
	c, err := remote.Dial(context.Background(), rwc{s.ctrlR, s.ctrlW, []io.Closer{s.ctrlW}},
		remote.Config{Host: "hv-t", Run: "r-spec", Experiment: "spec", GuardTTL: ttl, Version: "v-spec"})
	Expect(err).NotTo(HaveOccurred())
	return c
}

func cutParams(ns string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"netns": ns, "link": "eth0"})
	return b
}

var _ = Describe("agent", Serial, func() {
	It("injects a real link.down for the controller, journals it on the host first, and reverts on command", func() {
		t := nettest.New("fl-ag", "198.18.161", false)
		s := serve("v-spec")
		c := s.client(2 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Describe()).To(HaveSuffix(" on hv-t"))
		Expect(f.Targets()).NotTo(BeEmpty())
		Expect(f.Targets()[0].ID).To(HavePrefix("host:hv-t/"))
		Expect(f.Preflight(context.Background())).To(Succeed())

		undo, err := f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(undo.Kind).To(Equal(remote.UndoKind))
		var ru remote.RemoteUndo
		Expect(json.Unmarshal(undo.Params, &ru)).To(Succeed())
		Expect(ru.Undo.Kind).To(Equal("link.down"))
		Expect(ru.Host).To(Equal("hv-t"))

		// The record is on the host's disk before anything is cut.
		jpath := c.Agent().Journal
		Expect(jpath).To(HavePrefix(filepath.Join(s.state, agent.StateSubdir)))
		st, err := os.Stat(filepath.Dir(jpath))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)))
		run, err := journal.ReadFile(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(HaveLen(1))
		Expect(linkUp(t.Client)).To(BeTrue())
		_, err = os.Lstat(filepath.Join(s.state, "active", "agent-"+filepath.Base(jpath)))
		Expect(err).NotTo(HaveOccurred(), "`faultline recover` on the host finds the journal")

		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeFalse())
		Expect(f.Revert(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeTrue())
		Expect(f.Revert(context.Background())).To(Succeed(), "reverting twice is harmless")

		Expect(c.Close(context.Background())).To(Succeed())
		var o agent.Outcome
		Eventually(s.done, 5*time.Second).Should(Receive(&o))
		Expect(o.Err).NotTo(HaveOccurred())
		Expect(o.Reason).To(ContainSubstring("shutdown"))
		run, err = journal.ReadFile(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(BeEmpty())
		Expect(run.End).NotTo(BeNil())
		_, err = os.Lstat(filepath.Join(s.state, "active", "agent-"+filepath.Base(jpath)))
		Expect(os.IsNotExist(err)).To(BeTrue(), "a clean end leaves nothing to recover")
	})

	It("reverts everything it holds and exits when heartbeats stop for the TTL", func() {
		t := nettest.New("fl-al", "198.18.162", false)
		s := serve("v-spec")
		ttl := 500 * time.Millisecond
		w, r := wire.NewWriter(s.ctrlW), wire.NewReader(s.ctrlR)
		Expect(w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version, Binary: "v-spec",
			Role: "controller", Run: "r-lease", GuardTTL: int64(ttl)}})).To(Succeed())
		m, err := r.Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Type).To(Equal(wire.THello))
		call := func(m *wire.Message) {
			GinkgoHelper()
			Expect(w.Write(m)).To(Succeed())
			for {
				rep, err := r.Read()
				Expect(err).NotTo(HaveOccurred())
				if rep.Type == wire.TReply && rep.ID == m.ID {
					Expect(rep.Reply.Err()).NotTo(HaveOccurred())
					return
				}
			}
		}
		step := &wire.Step{Name: "cut", Kind: "link.down", Params: cutParams(t.Client)}
		Expect(w.Write(&wire.Message{Type: wire.THeartbeat, Beat: &wire.Beat{Seq: 1}})).To(Succeed())
		call(&wire.Message{Type: wire.TPrepare, ID: 1, Step: step})
		call(&wire.Message{Type: wire.TInject, ID: 2, Step: &wire.Step{Name: "cut"}})
		Expect(w.Write(&wire.Message{Type: wire.THeartbeat, Beat: &wire.Beat{Seq: 2}})).To(Succeed())
		lastBeat := time.Now()
		Expect(linkUp(t.Client)).To(BeFalse())
		Consistently(func() bool { return linkUp(t.Client) }, ttl*8/10, 10*time.Millisecond).Should(BeFalse(), "held while the lease runs")
		Eventually(func() bool { return linkUp(t.Client) }, 2*time.Second, time.Millisecond).Should(BeTrue())
		back := time.Since(lastBeat)
		GinkgoWriter.Printf("lease: link back %s after the last heartbeat (ttl %s)\n", back, ttl)
		AddReportEntry("lease expiry: link back after", back.String())
		Expect(back).To(BeNumerically("<", ttl+500*time.Millisecond))
		var o agent.Outcome
		Eventually(s.done, 2*time.Second).Should(Receive(&o))
		Expect(o.Reason).To(ContainSubstring("no heartbeat within 500ms"))
		Expect(o.Reverted).To(Equal(1))
	})

	It("reverts what the controller left held before it answers a shutdown", func() {
		t := nettest.New("fl-as", "198.18.164", false)
		s := serve("v-spec")
		c := s.client(5 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(c.Close(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeTrue(), "already back when Close returns")
		var o agent.Outcome
		Eventually(s.done, 2*time.Second).Should(Receive(&o))
		Expect(o.Reverted).To(Equal(1))
	})

	It("reverts a controller's remote undo record in a session of its own (recover on the controller)", func() {
		t := nettest.New("fl-ar", "198.18.165", false)
		held := serve("v-spec")
		c := held.client(30 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		undo, err := f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeFalse())

		other := serve("v-spec")
		Expect(remote.RevertOnHost(context.Background(), rwc{other.ctrlR, other.ctrlW, []io.Closer{other.ctrlW}}, "v-spec", undo.Params)).To(Succeed())
		Expect(linkUp(t.Client)).To(BeTrue())
		Expect(f.Revert(context.Background())).To(Succeed(), "the first session's revert is idempotent")
		Expect(c.Close(context.Background())).To(Succeed())

		forged, _ := json.Marshal(remote.RemoteUndo{Host: "hv-t", Run: "r", Step: "x",
			Undo: faults.Undo{Kind: "net.partition", Params: json.RawMessage(`{"table":"not-ours"}`)}})
		third := serve("v-spec")
		err = remote.RevertOnHost(context.Background(), rwc{third.ctrlR, third.ctrlW, []io.Closer{third.ctrlW}}, "v-spec", forged)
		Expect(err).To(MatchError(faults.ErrUntrusted), "the host reverts only what faultline created")
	})

	It("reverts and exits when its stdin ends", func() {
		t := nettest.New("fl-ae", "198.18.163", false)
		s := serve("v-spec")
		c := s.client(5 * time.Second)
		f, err := c.NewFault(context.Background(), "cut", "link.down", cutParams(t.Client), "auto")
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Client)).To(BeFalse())
		s.ctrlW.Close()
		var o agent.Outcome
		Eventually(s.done, 2*time.Second).Should(Receive(&o))
		Expect(o.Reason).To(ContainSubstring("closed the stream"))
		Expect(linkUp(t.Client)).To(BeTrue(), "long before the 5s lease")
	})

	It("refuses a controller of another version, naming both, and journals nothing", func() {
		s := serve("v-agent")
		_, err := remote.Dial(context.Background(), rwc{s.ctrlR, s.ctrlW, []io.Closer{s.ctrlW}},
			remote.Config{Host: "hv-t", Run: "r-v", GuardTTL: time.Second, Version: "v-controller"})
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("hv-t"))
		Expect(err.Error()).To(ContainSubstring("faultline v-agent here, v-controller on the controller"))
		var o agent.Outcome
		Eventually(s.done, time.Second).Should(Receive(&o))
		Expect(o.Err).To(MatchError(wire.ErrVersion))
		_, err = os.Stat(filepath.Join(s.state, agent.StateSubdir))
		Expect(os.IsNotExist(err)).To(BeTrue())
	})

	It("refuses garbage instead of a hello", func() {
		s := serve("v-spec")
		_, err := s.ctrlW.Write([]byte("Last login: Tue Dec  1\n"))
		Expect(err).NotTo(HaveOccurred())
		var o agent.Outcome
		Eventually(s.done, time.Second).Should(Receive(&o))
		Expect(o.Err).To(MatchError(wire.ErrTooLarge))
	})
})

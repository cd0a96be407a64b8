package remote_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/remote"
	"github.com/faultline/faultline/internal/wire"
)

// agentIn starts the agent inside ns as sshd would: with SSH_CONNECTION
// naming the controller (the client end of the topology).
func agentIn(ns, sshConnection string) *child {
	ch := &child{state: GinkgoT().TempDir(), exited: make(chan error, 1)}
	ch.cmd = exec.Command("ip", "netns", "exec", ns, bin, "--state-dir", ch.state, "agent", "--stdio")
	ch.cmd.Env = append(os.Environ(), "SSH_CONNECTION="+sshConnection)
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

var _ = Describe("lock-out on a host", Serial, func() {
	It("refuses a fault that cuts the SSH connection the host is reached by", func() {
		t := nettest.New("fl-ro", "198.18.178", false)
		ch := agentIn(t.Server, t.Subnet+".1 50022 "+t.ServerAddr+" 22")
		c := dial(ch, time.Second)
		f, err := remote.NewHost(c).NewFault(context.Background(), remote.StepSpec{Name: "cut-own", Kind: "link.down",
			Params: json.RawMessage(`{"link":"eth0"}`)})
		Expect(err).NotTo(HaveOccurred())
		err = f.(interface{ Preflight(context.Context) error }).Preflight(context.Background())
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("host hv-x"))
		Expect(err.Error()).To(ContainSubstring("the SSH connection from " + t.Subnet + ".1"))
		Expect(err.Error()).To(ContainSubstring("allowLockout"))
		_, err = f.Prepare(context.Background())
		Expect(err).To(HaveOccurred(), "prepare refuses it too")
		Expect(linkUp(t.Server)).To(BeTrue())
		Expect(c.Close(context.Background())).To(Succeed())
	})

	It("with allowLockout, cuts it and the lease brings the host back", func() {
		t := nettest.New("fl-ra", "198.18.179", false)
		ch := agentIn(t.Server, t.Subnet+".1 50022 "+t.ServerAddr+" 22")
		ttl := time.Second
		w, r := wire.NewWriter(ch), wire.NewReader(ch)
		Expect(w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version, Binary: "dev",
			Role: "controller", Run: "r-lockout", GuardTTL: int64(ttl), AllowLockout: true}})).To(Succeed())
		m, err := r.Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Type).To(Equal(wire.THello), "%+v", m)
		call := func(m *wire.Message) {
			GinkgoHelper()
			Expect(w.Write(&wire.Message{Type: wire.THeartbeat, Beat: &wire.Beat{Seq: m.ID}})).To(Succeed())
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
		step := &wire.Step{Name: "cut-own", Kind: "link.down", Params: json.RawMessage(`{"link":"eth0"}`)}
		call(&wire.Message{Type: wire.TPreflight, ID: 1, Step: step})
		call(&wire.Message{Type: wire.TPrepare, ID: 2, Step: step})
		call(&wire.Message{Type: wire.TInject, ID: 3, Step: &wire.Step{Name: "cut-own"}})
		lastBeat := time.Now()
		Expect(linkUp(t.Server)).To(BeFalse())
		// The controller is cut off: no more heartbeats reach the host.
		Eventually(func() bool { return linkUp(t.Server) }, ttl+2*time.Second, time.Millisecond).Should(BeTrue())
		back := time.Since(lastBeat)
		GinkgoWriter.Printf("lock-out allowed: link back %s after the last heartbeat (ttl %s)\n", back, ttl)
		AddReportEntry("allowed lock-out: link back after", back.String())
		Expect(back).To(BeNumerically("<", ttl+500*time.Millisecond))
	})

	It("acts in the agent's own namespace without netns:, and so does its host guard after a SIGKILL", func() {
		t := nettest.New("fl-rn", "198.18.180", false)
		ch := agentIn(t.Server, "")
		ttl := time.Second
		c, err := remote.Dial(context.Background(), ch, remote.Config{Host: "hv-n", Run: "r-own", GuardTTL: ttl, Version: "dev"})
		Expect(err).NotTo(HaveOccurred())
		f, err := remote.NewHost(c).NewFault(context.Background(), remote.StepSpec{Name: "cut", Kind: "link.down",
			Params: json.RawMessage(`{"link":"eth0"}`)})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Targets()[0].ID).To(Equal("host:hv-n/host/eth0"))
		_, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(context.Background())).To(Succeed())
		Expect(linkUp(t.Server)).To(BeFalse(), "the agent's namespace, not PID 1's")
		Expect(ch.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		guardLog := func() string {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(c.Agent().Journal), "guard.log"))
			return string(b)
		}
		Eventually(func() bool { return linkUp(t.Server) }, ttl+500*time.Millisecond, time.Millisecond).Should(BeTrue(),
			func() string { return "the guard reverts in the same namespace; its log:\n" + guardLog() })
	})
})

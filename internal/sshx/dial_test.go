package sshx_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/crypto/ssh"

	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

func run(c *sshx.Client, cmd string) string {
	GinkgoHelper()
	sess, err := c.SSH().NewSession()
	Expect(err).NotTo(HaveOccurred())
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	Expect(err).NotTo(HaveOccurred(), string(out))
	return string(out)
}

var _ = Describe("dialing a host", Ordered, func() {
	var s *sshtest.Site
	var hvA *sshtest.SSHD
	ctx := context.Background()

	BeforeAll(func() {
		s = specSite()
		hvA = specHost(s, "hv-a", 11)
	})

	It("connects from the management namespace with a known host key and the client key", func() {
		c, err := sshx.Dial(ctx, target(s, hvA))
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(c.HostKey).To(Equal("ssh-ed25519 " + ssh.FingerprintSHA256(hvA.HostPub)))
		Expect(run(c, "cat /proc/net/dev")).To(ContainSubstring("eth0"), "the session runs in the host's namespace")
		Expect(run(c, "id -u")).To(Equal("0\n"))
	})

	It("refuses an unknown host key, naming the host and the key's fingerprint", func() {
		t := target(s, hvA)
		t.KnownHosts = []string{filepath.Join(GinkgoT().TempDir(), "empty")}
		Expect(os.WriteFile(t.KnownHosts[0], nil, 0o600)).To(Succeed())
		_, err := sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrHostKey))
		var hk *sshx.HostKeyError
		Expect(errors.As(err, &hk)).To(BeTrue())
		Expect(hk.Fingerprint).To(Equal(ssh.FingerprintSHA256(hvA.HostPub)))
		Expect(err.Error()).To(ContainSubstring("host hv-a (198.19.0.11:22): unknown host key ssh-ed25519 " + ssh.FingerprintSHA256(hvA.HostPub)))
	})

	It("refuses when there is no known_hosts file at all", func() {
		t := target(s, hvA)
		t.KnownHosts = []string{"/nonexistent/known_hosts"}
		_, err := sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrHostKey))
		Expect(err).To(MatchError(ContainSubstring("host hv-a: no known_hosts file")))
	})

	It("refuses a changed host key, naming the host, the presented and the recorded key", func() {
		dir := GinkgoT().TempDir()
		_, other, _, err := sshtest.WriteKey(filepath.Join(dir, "other"))
		Expect(err).NotTo(HaveOccurred())
		kh := filepath.Join(dir, "known_hosts")
		Expect(os.WriteFile(kh, []byte("198.19.0.11 "+string(ssh.MarshalAuthorizedKey(other))), 0o600)).To(Succeed())
		t := target(s, hvA)
		t.KnownHosts = []string{kh}
		_, err = sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrHostKey))
		Expect(err).To(MatchError(ContainSubstring("host hv-a (198.19.0.11:22): host key CHANGED: presented ssh-ed25519 " + ssh.FingerprintSHA256(hvA.HostPub))))
		Expect(err).To(MatchError(ContainSubstring(ssh.FingerprintSHA256(other) + " at " + kh + ":1")))
	})

	It("accepts a host key pinned from a file and refuses another one", func() {
		t := target(s, hvA)
		t.KnownHosts = nil
		t.HostKey = hvA.HostKeyPub
		c, err := sshx.Dial(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		c.Close()
	})

	It("refuses a pinned key that is not the host's", func() {
		dir := GinkgoT().TempDir()
		p, _, _, err := sshtest.WriteKey(filepath.Join(dir, "wrong"))
		Expect(err).NotTo(HaveOccurred())
		t := target(s, hvA)
		t.HostKey = p + ".pub"
		_, err = sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrHostKey))
		Expect(err).To(MatchError(ContainSubstring("host hv-a")))
	})

	It("reports a user key the host does not accept as an auth error naming the host", func() {
		p, pub, _, err := sshtest.WriteKey(filepath.Join(GinkgoT().TempDir(), "stranger"))
		Expect(err).NotTo(HaveOccurred())
		t := target(s, hvA)
		t.Identities = []string{p}
		_, err = sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrAuth))
		Expect(err).To(MatchError(ContainSubstring("host hv-a: root@198.19.0.11:22 refused keys [" + ssh.FingerprintSHA256(pub) + "]")))
	})

	It("reports a missing identity file naming the host", func() {
		t := target(s, hvA)
		t.Identities = []string{"/nonexistent/id"}
		_, err := sshx.Dial(ctx, t)
		Expect(err).To(MatchError(ContainSubstring("host hv-a: identity")))
	})

	It("gives up on an address nobody answers within the timeout", func() {
		t := target(s, hvA)
		t.Name, t.Address, t.Timeout = "ghost", "198.19.0.250", 700*time.Millisecond
		start := time.Now()
		_, err := sshx.Dial(ctx, t)
		Expect(time.Since(start)).To(BeNumerically("<", 1200*time.Millisecond))
		Expect(err).To(MatchError(sshx.ErrUnreachable))
		Expect(err).To(MatchError(ContainSubstring("host ghost: connect 198.19.0.250:22 from netns " + s.Mgmt)))
	})

	It("reports a port nothing listens on at once", func() {
		t := target(s, hvA)
		t.Port = 2222
		start := time.Now()
		_, err := sshx.Dial(ctx, t)
		Expect(time.Since(start)).To(BeNumerically("<", 500*time.Millisecond))
		Expect(err).To(MatchError(sshx.ErrUnreachable))
		Expect(err).To(MatchError(ContainSubstring("connection refused")))
	})

	It("times out a server that accepts but never speaks SSH", func() {
		h, err := s.AddListenerOnly("mute", 12)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		t := target(s, hvA)
		t.Name, t.Address, t.Timeout = "mute", "198.19.0.12", 700*time.Millisecond
		start := time.Now()
		_, err = sshx.Dial(ctx, t)
		Expect(time.Since(start)).To(BeNumerically("<", 1200*time.Millisecond))
		Expect(err).To(MatchError(sshx.ErrUnreachable))
		Expect(err).To(MatchError(ContainSubstring("host mute: SSH handshake with 198.19.0.12:22 from netns " + s.Mgmt + " timed out")))
	})

	It("notices a cut control link through keepalives and closes the connection", func() {
		c, err := sshx.Dial(ctx, target(s, hvA))
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		kctx, cancel := context.WithCancel(ctx)
		defer cancel()
		kerr := make(chan error, 1)
		go func() { kerr <- c.Keepalive(kctx, 100*time.Millisecond, 300*time.Millisecond) }()
		Consistently(kerr, "400ms").ShouldNot(Receive(), "answers while the link is up")

		sshtest.SetLink(hvA.NS, "eth0", false)
		defer sshtest.SetLink(hvA.NS, "eth0", true)
		cut := time.Now()
		var got error
		Eventually(kerr, "2s").Should(Receive(&got))
		Expect(time.Since(cut)).To(BeNumerically("<", 600*time.Millisecond))
		Expect(got).To(MatchError(sshx.ErrUnreachable))
		Expect(got).To(MatchError(ContainSubstring("host hv-a: no keepalive answer within 300ms")))
		waited := make(chan error, 1)
		go func() { waited <- c.Wait() }()
		Eventually(waited, "1s").Should(Receive())
	})
})

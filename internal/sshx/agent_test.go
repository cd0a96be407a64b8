package sshx_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

// serveAgent runs an SSH agent holding key on a temp socket and points
// SSH_AUTH_SOCK at it for the spec.
func serveAgent(key ed25519.PrivateKey) {
	GinkgoHelper()
	kr := agent.NewKeyring()
	Expect(kr.Add(agent.AddedKey{PrivateKey: key})).To(Succeed())
	sock := filepath.Join(GinkgoT().TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(kr, c); c.Close() }()
		}
	}()
	GinkgoT().Setenv("SSH_AUTH_SOCK", sock)
}

var _ = Describe("keys from the SSH agent", Ordered, func() {
	var s *sshtest.Site
	var h *sshtest.SSHD
	var agentKey ed25519.PrivateKey
	ctx := context.Background()

	BeforeAll(func() {
		s = specSite()
		h = specHost(s, "hv-a", 51)
		var pub ed25519.PublicKey
		var err error
		pub, agentKey, err = ed25519.GenerateKey(rand.Reader)
		Expect(err).NotTo(HaveOccurred())
		sp, _ := ssh.NewPublicKey(pub)
		f, err := os.OpenFile(s.Authorized, os.O_APPEND|os.O_WRONLY, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Write(ssh.MarshalAuthorizedKey(sp))
		Expect(err).NotTo(HaveOccurred())
		f.Close()
	})

	It("logs in with a key only the agent holds", func() {
		serveAgent(agentKey)
		t := target(s, h)
		t.Identities, t.NoAgent = nil, false
		c, err := sshx.Dial(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		c.Close()
	})

	It("uses the agent for a passphrase-protected identity file", func() {
		serveAgent(agentKey)
		blk, err := ssh.MarshalPrivateKeyWithPassphrase(agentKey, "", []byte("secret"))
		Expect(err).NotTo(HaveOccurred())
		p := filepath.Join(GinkgoT().TempDir(), "locked")
		Expect(os.WriteFile(p, pem.EncodeToMemory(blk), 0o600)).To(Succeed())
		t := target(s, h)
		t.Identities, t.NoAgent = []string{p}, false
		c, err := sshx.Dial(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		c.Close()

		t.NoAgent = true
		_, err = sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrAuth))
		Expect(err).To(MatchError(ContainSubstring("host hv-a: identity [" + p + "] is passphrase-protected: load it into ssh-agent")))
	})
})

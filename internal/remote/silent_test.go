package remote_test

import (
	"context"
	"io"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/remote"
	"github.com/faultline/faultline/internal/wire"
)

type pipeEnd struct {
	io.Reader
	io.WriteCloser
}

var _ = Describe("a host that goes silent", func() {
	It("is reported lost once no heartbeat echo came back for the TTL", func() {
		ar, cw, err := os.Pipe()
		Expect(err).NotTo(HaveOccurred())
		cr, aw, err := os.Pipe()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { ar.Close(); aw.Close(); cr.Close() })
		// The far end says hello, then hangs (an SSH session that stalls
		// without TCP noticing).
		go func() {
			r, w := wire.NewReader(ar), wire.NewWriter(aw)
			if _, err := r.Read(); err != nil {
				return
			}
			_ = w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version, Binary: "v", Role: "agent"}})
			go func() { _, _ = io.Copy(io.Discard, ar) }()
		}()
		ttl := 400 * time.Millisecond
		c, err := remote.Dial(context.Background(), pipeEnd{cr, cw}, remote.Config{Host: "hv-s", Run: "r", GuardTTL: ttl, Version: "v"})
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		var lost error
		Eventually(c.Lost(), 3*ttl).Should(Receive(&lost))
		Expect(time.Since(start)).To(BeNumerically(">=", ttl-50*time.Millisecond))
		Expect(lost).To(MatchError(remote.ErrLost))
		Expect(lost.Error()).To(ContainSubstring("hv-s"))
		Expect(lost.Error()).To(ContainSubstring("no heartbeat echo within 400ms"))
	})

	It("refuses an agent of another version, naming the host and both versions", func() {
		ar, cw, _ := os.Pipe()
		cr, aw, _ := os.Pipe()
		DeferCleanup(func() { ar.Close(); aw.Close(); cr.Close() })
		go func() {
			r, w := wire.NewReader(ar), wire.NewWriter(aw)
			if _, err := r.Read(); err != nil {
				return
			}
			_ = w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version + 1, Binary: "v", Role: "agent"}})
		}()
		_, err := remote.Dial(context.Background(), pipeEnd{cr, cw}, remote.Config{Host: "hv-v", Run: "r", Version: "v"})
		Expect(err).To(MatchError(wire.ErrVersion))
		Expect(err.Error()).To(ContainSubstring("host hv-v"))
		Expect(err.Error()).To(ContainSubstring("protocol 1 here, 2 on the agent"))
	})
})

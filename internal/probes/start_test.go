package probes_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/faultline/faultline/internal/probes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// resetter accepts in ns and resets each connection at once, racing the
// client's own look at its connect.
func resetter(ns, addr string) {
	l := listenIn(ns, addr)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
}

var _ = Describe("a check's start", func() {
	It("is when a tcp check's socket exists in its namespace, not when the sampler called it", func() {
		ns := newNetns()
		addr := fmt.Sprintf("127.0.0.1:%d", reservePort())
		listenIn(ns, addr)
		tcp := newProber(tcpProbe(addr, ns))
		// Whatever holds a check up before its socket exists (entering the
		// namespace on a busy machine) must not date it early.
		const stall = 30 * time.Millisecond
		stalled := probes.ProberFunc(func(ctx context.Context) probes.Sample {
			time.Sleep(stall)
			return tcp.Check(ctx)
		})
		rec := runFor(200*time.Millisecond, probes.Spec{Name: "web", Prober: stalled, Every: 50 * time.Millisecond, Timeout: time.Second})
		ss := rec.of("web")
		Expect(len(ss)).To(BeNumerically(">=", 2))
		for _, s := range ss {
			Expect(s.OK).To(BeTrue(), s.Detail)
			// Ticks fall on multiples of 50 ms; the socket exists 30 ms later.
			Expect(s.Start%(50*time.Millisecond)).To(BeNumerically(">=", stall), "sample at %s", s.Start)
			Expect(s.Latency).To(BeNumerically("<", stall))
		}
	})

	It("is when an exec check forks its command", func() {
		ns := newNetns()
		const stall = 30 * time.Millisecond
		ex := newProber(execProbe([]string{"true"}, nil, ns))
		stalled := probes.ProberFunc(func(ctx context.Context) probes.Sample {
			time.Sleep(stall)
			return ex.Check(ctx)
		})
		rec := runFor(200*time.Millisecond, probes.Spec{Name: "cmd", Prober: stalled, Every: 100 * time.Millisecond, Timeout: time.Second})
		ss := rec.of("cmd")
		Expect(ss).NotTo(BeEmpty())
		for _, s := range ss {
			Expect(s.OK).To(BeTrue(), s.Detail)
			Expect(s.Start%(100*time.Millisecond)).To(BeNumerically(">=", stall), "sample at %s", s.Start)
		}
	})
})

var _ = Describe("tcp probe against a server that resets at once", func() {
	It("counts the connection as opened: the handshake completed", func() {
		ns := newNetns()
		addr := fmt.Sprintf("127.0.0.1:%d", reservePort())
		resetter(ns, addr)
		p := newProber(tcpProbe(addr, ns))
		for i := 0; i < 500; i++ {
			s := p.Check(context.Background())
			Expect(s.OK).To(BeTrue(), "check %d: %s", i, s.Detail)
		}
	})
})

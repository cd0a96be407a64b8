package probes_test

import (
	"context"
	"fmt"
	"net"
	"sync"
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
		ss, called := stalledRun(tcp, stall, 50*time.Millisecond)
		Expect(len(ss)).To(BeNumerically(">=", 2))
		for i, s := range ss {
			Expect(s.OK).To(BeTrue(), s.Detail)
			Expect(s.Start).To(BeNumerically(">=", called[i]+stall), "sample %d at %s, check called at %s", i, s.Start, called[i])
		}
	})

	It("is when an exec check forks its command", func() {
		ns := newNetns()
		const stall = 30 * time.Millisecond
		ex := newProber(execProbe([]string{"true"}, nil, ns))
		ss, called := stalledRun(ex, stall, 100*time.Millisecond)
		Expect(ss).NotTo(BeEmpty())
		for i, s := range ss {
			Expect(s.OK).To(BeTrue(), s.Detail)
			Expect(s.Start).To(BeNumerically(">=", called[i]+stall), "sample %d at %s, check called at %s", i, s.Start, called[i])
		}
	})
})

// stalledRun samples p for 200 ms with every check held up by stall
// before it begins; called[i] is when the sampler called check i, as an
// offset from the run's base.
func stalledRun(p probes.Prober, stall, every time.Duration) (ss []probes.Sample, called []time.Duration) {
	base := time.Now()
	var mu sync.Mutex
	stalled := probes.ProberFunc(func(ctx context.Context) probes.Sample {
		mu.Lock()
		called = append(called, time.Since(base))
		mu.Unlock()
		time.Sleep(stall)
		return p.Check(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	probes.Run(ctx, base, []probes.Spec{{Name: "p", Prober: stalled, Every: every, Timeout: time.Second}}, func(_ string, s probes.Sample) {
		ss = append(ss, s)
	})
	return ss, called[:len(ss)]
}

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

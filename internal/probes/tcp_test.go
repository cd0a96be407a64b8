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

func tcpProbe(addr, netns string) probes.Def {
	return def("tcp", probes.TCPParams{Address: addr, Timeout: ms(500)}, 0, netns)
}

var _ = Describe("tcp probe", func() {
	It("is ok with value 1 when the port accepts", func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(l.Close)
		s := newProber(tcpProbe(l.Addr().String(), "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(1.0))
		Expect(s.Latency).To(BeNumerically(">", 0))
	})

	It("fails with value 0 when the connection is refused", func() {
		s := newProber(tcpProbe(fmt.Sprintf("127.0.0.1:%d", reservePort()), "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(0.0))
		Expect(s.Detail).To(ContainSubstring("refused"))
	})

	It("fails within its timeout when nothing answers", func() {
		client, server := newNetns(), newNetns()
		joinNetns(client, "veth-c", "198.18.0.1/30", server, "veth-s", "198.18.0.2/30")
		// Drop the SYNs: the server's end goes down, so the path is dead.
		downLink(server, "veth-s")
		p := def("tcp", probes.TCPParams{Address: "198.18.0.2:9", Timeout: ms(100)}, 0, client)
		start := time.Now()
		s := newProber(p).Check(context.Background())
		took := time.Since(start)
		Expect(s.OK).To(BeFalse())
		Expect(s.Detail).To(ContainSubstring("timeout"))
		Expect(took).To(BeNumerically("~", 100*time.Millisecond, 150*time.Millisecond))
	})

	It("connects from inside its namespace", func() {
		ns := newNetns()
		// The port is refused on the host and accepts in the namespace.
		port := reservePort()
		listenIn(ns, fmt.Sprintf("127.0.0.1:%d", port))
		addr := fmt.Sprintf("127.0.0.1:%d", port)

		s := newProber(tcpProbe(addr, ns)).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		s = newProber(tcpProbe(addr, "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
	})

	It("rejects an address without a port", func() {
		_, err := probes.New(tcpProbe("198.18.0.2", ""))
		Expect(err).To(MatchError(ContainSubstring("host:port")))
	})
})

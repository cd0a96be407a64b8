package probes_test

import (
	"context"
	"net"
	"os"
	"testing"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"
)

// BenchmarkTCPCheck is the cost of one tcp check on loopback, from the
// namespace faultline runs in and from inside another namespace (the
// difference is the price of creating the socket inside it).
func BenchmarkTCPCheck(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root for network namespaces")
	}
	ns := benchNetns(b)
	for _, netns := range []string{"", ns} {
		var l net.Listener
		listen := func() (err error) {
			l, err = net.Listen("tcp", "127.0.0.1:0")
			return err
		}
		var err error
		if netns == "" {
			err = listen()
		} else {
			err = nsutil.Do(netns, listen)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		p, err := probes.New(def("tcp", probes.TCPParams{Address: l.Addr().String()}, 0, netns))
		if err != nil {
			b.Fatal(err)
		}
		name := "netns=none"
		if netns != "" {
			name = "netns=other"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if s := p.Check(context.Background()); !s.OK {
					b.Fatal(s.Detail)
				}
			}
		})
	}
}

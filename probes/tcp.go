package probes

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/faultline/faultline/experiments"
)

func init() { RegisterKind("tcp", newTCP) }

// tcpProber connects to an address. value = 1 when the connection was
// established, 0 otherwise.
type tcpProber struct {
	addr    string
	timeout time.Duration
	dial    dialFunc
}

func newTCP(name string, p *experiments.Probe) (Prober, error) {
	addr := p.TCP.Address
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return nil, fmt.Errorf("probe %s: tcp address %q: want host:port", name, addr)
	}
	return &tcpProber{addr: addr, timeout: Timeout(p), dial: netnsDialer(p.Netns)}, nil
}

func (t *tcpProber) Check(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	start := time.Now()
	conn, err := t.dial(ctx, "tcp", t.addr)
	lat := time.Since(start)
	if err != nil {
		return Sample{Latency: lat, Detail: describeErr(ctx, t.timeout, err)}
	}
	// Reset instead of a graceful close: at 1 kHz, TIME_WAIT sockets
	// would otherwise use up the ephemeral ports.
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
	return Sample{OK: true, Value: 1, Latency: lat}
}

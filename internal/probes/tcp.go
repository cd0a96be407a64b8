package probes

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"
)

func init() {
	Register(Kind{
		Name:   "tcp",
		Doc:    "connect to host:port; value = 1 when the connection opens, else 0",
		Value:  ValueBool,
		Params: TCPParams{},
		New:    newTCP,
	})
}

// TCPParams are the parameters of a tcp probe.
type TCPParams struct {
	Address string   `json:"address" required:"true" pattern:":[0-9]+$" doc:"host:port"`
	Timeout Duration `json:"timeout,omitempty" doc:"Per check; default the interval."`
}

// tcpProber connects to an address. value = 1 when the connection was
// established, 0 otherwise.
type tcpProber struct {
	addr    string
	timeout time.Duration
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newTCP(d Def) (Prober, error) {
	var t TCPParams
	if err := DecodeParams(d.Params, &t); err != nil {
		return nil, err
	}
	if t.Address == "" {
		return nil, Errorf("address", "missing: host:port to connect to")
	}
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		return nil, Errorf("address", "bad address %q: want host:port", t.Address)
	}
	if n, perr := strconv.Atoi(port); host == "" || perr != nil || n < 1 || n > 65535 {
		return nil, Errorf("address", "bad address %q: want host:port with a port from 1 to 65535", t.Address)
	}
	return &tcpProber{addr: t.Address, timeout: Timeout(d), dial: netnsDialer(d.Netns)}, nil
}

func (t *tcpProber) Check(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	start := time.Now()
	conn, err := t.dial(ctx, "tcp", t.addr)
	lat := time.Since(startedAt(ctx, start))
	if errors.Is(err, syscall.ECONNRESET) {
		// Linux answers a connect with ECONNRESET only past SYN_SENT (a
		// refused SYN is ECONNREFUSED): the handshake completed and the
		// server reset the connection before the dial looked. It opened.
		return Sample{OK: true, Value: 1, Latency: lat}
	}
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

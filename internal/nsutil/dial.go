package nsutil

import (
	"context"
	"net"
)

// DialFunc dials like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dialer returns a dialer whose sockets are created inside the named
// namespace ("" = wherever faultline runs, no switch). The socket is made
// on a thread locked inside the namespace and keeps that namespace after
// the thread returns, so the connection can be used from any goroutine.
// Host names are resolved by the resolver of faultline's own namespace:
// use IP literals to keep every packet inside the named one.
func Dialer(name string) DialFunc { return DialerWith(net.Dialer{}, name) }

// DialerWith is Dialer with d's settings (timeouts, ControlContext). Its
// ControlContext runs on the thread inside the namespace, once the socket
// exists and before it connects: the moment to stamp when a connection
// attempt really began, after any wait to enter the namespace.
func DialerWith(d net.Dialer, name string) DialFunc {
	// No fast fallback: dialParallel would create sockets on goroutines
	// that are not locked into the namespace.
	d.FallbackDelay = -1
	if name == "" {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		var dialErr error
		if err := Do(name, func() error {
			conn, dialErr = d.DialContext(ctx, network, addr)
			return nil
		}); err != nil {
			if conn != nil {
				conn.Close()
			}
			return nil, err
		}
		return conn, dialErr
	}
}

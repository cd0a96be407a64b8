package probes

import (
	"context"
	"net"
	"syscall"

	"github.com/faultline/faultline/internal/nsutil"
)

// netnsDialer is nsutil's dialer: sockets made inside the probe's
// namespace ("" = wherever faultline runs). Host names are resolved in
// faultline's own namespace: use IP literals to keep every packet inside
// the probe's. Each socket marks its check's start once it exists there,
// so time spent entering the namespace does not date the check early.
func netnsDialer(netns string) nsutil.DialFunc {
	return nsutil.DialerWith(net.Dialer{ControlContext: markOnSocket}, netns)
}

func markOnSocket(ctx context.Context, _, _ string, _ syscall.RawConn) error {
	MarkStart(ctx)
	return nil
}

// inNetns runs fn on a thread inside the named namespace.
func inNetns(netns string, fn func() error) error { return nsutil.Do(netns, fn) }

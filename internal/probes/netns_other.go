//go:build !linux

package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Network namespaces are Linux's: elsewhere a probe runs where faultline
// runs, and one that names a namespace fails its checks saying why. This
// keeps the probes (and experiments, verify, journal and reports above
// them) building on any OS without the netlink code nsutil needs.

var errNoNetns = errors.New("network namespaces need Linux")

func netnsDialer(netns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{ControlContext: func(ctx context.Context, _, _ string, _ syscall.RawConn) error {
		MarkStart(ctx)
		return nil
	}}
	if netns == "" {
		return d.DialContext
	}
	return func(context.Context, string, string) (net.Conn, error) {
		return nil, fmt.Errorf("netns %q: %w", netns, errNoNetns)
	}
}

func inNetns(netns string, fn func() error) error {
	return fmt.Errorf("netns %q: %w", netns, errNoNetns)
}

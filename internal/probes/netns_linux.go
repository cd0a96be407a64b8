package probes

import "github.com/faultline/faultline/internal/nsutil"

// netnsDialer is nsutil's dialer: sockets made inside the probe's
// namespace ("" = wherever faultline runs). Host names are resolved in
// faultline's own namespace: use IP literals to keep every packet inside
// the probe's.
func netnsDialer(netns string) nsutil.DialFunc { return nsutil.Dialer(netns) }

// inNetns runs fn on a thread inside the named namespace.
func inNetns(netns string, fn func() error) error { return nsutil.Do(netns, fn) }

package bmcfault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/faultline/faultline/internal/nsutil"
)

// Timeouts: a BMC on a management network answers a control in
// milliseconds, but a status read may wait for the BMC's own chassis
// program (the lab's simulator runs one per read: 0.3-0.7 s measured on a
// machine at load 20-40, and a reply later than the exchange timeout is
// never matched, retry or not). A lost datagram is retried once, and a
// whole operation never takes longer than opTimeout, so an unreachable
// BMC fails in seconds, not minutes.
const (
	exchangeTimeout = 1500 * time.Millisecond
	exchangeRetries = 1
	opTimeout       = 5 * time.Second
)

// ErrAuth marks a BMC that refused the user or password.
var ErrAuth = errors.New("authentication refused (wrong user or password?)")

// ErrUnreachable marks a BMC that did not answer.
var ErrUnreachable = errors.New("no answer")

// nsDialer creates the UDP socket inside a namespace: a socket keeps the
// namespace it was created in, so every datagram of the session goes
// through it whichever thread sends it. A host name is resolved in the
// namespace faultline runs in: give BMCs behind a namespace as addresses.
type nsDialer struct{ netns string }

func (d nsDialer) Dial(network, addr string) (net.Conn, error) {
	ns := d.netns
	if nsutil.IsHost(ns) {
		ns = "" // the namespace faultline runs in, without a switch
	}
	return nsutil.Dialer(ns)(context.Background(), network, addr)
}

// suites are the cipher suites to offer, in order.
func (c Config) suites() []types.CipherSuiteID {
	if c.CipherSuite != 0 {
		return []types.CipherSuiteID{types.CipherSuiteID(c.CipherSuite)}
	}
	return []types.CipherSuiteID{17, 3}
}

// session is an authenticated RMCP+ session at administrator privilege.
type session struct {
	cfg Config
	pw  string
	c   *client.Client
}

// open connects and authenticates. The caller closes the session.
func open(ctx context.Context, cfg Config) (*session, error) {
	pw, err := cfg.password()
	if err != nil {
		return nil, err
	}
	c, err := client.NewClient(cfg.Address, cfg.Port, cfg.User, pw)
	if err != nil {
		return nil, fmt.Errorf("bmc %s: %w", cfg.endpoint(), redact(err, pw))
	}
	c.WithUDPProxy(nsDialer{netns: cfg.Netns})
	c.WithTimeout(exchangeTimeout).WithRetry(exchangeRetries)
	suites := cfg.suites()
	c.WithCipherSuiteID(suites...)
	c.WithMaxPrivilegeLevel(types.PrivilegeLevelAdministrator)
	s := &session{cfg: cfg, pw: pw, c: c}
	if err := c.Connect(ctx); err != nil {
		// No session to close on the BMC: a cancelled context makes Close
		// skip the Close Session exchange (which an unreachable BMC would
		// let time out) and only free the socket.
		dead, cancel := context.WithCancel(context.Background())
		cancel()
		_ = c.Close(dead)
		return nil, s.wrap("connect", err)
	}
	return s, nil
}

// close ends the session on the BMC and frees the socket. It must run
// once per session: go-ipmi's Close panics the second time.
func (s *session) close(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exchangeTimeout)
	defer cancel()
	_ = s.c.Close(cctx)
}

// wrap names the BMC, classifies err, and removes the password from it.
func (s *session) wrap(what string, err error) error {
	msg := err.Error()
	var kind error
	switch {
	case strings.Contains(msg, "RAKP") && strings.Contains(msg, "mismatch"),
		strings.Contains(msg, "authentication failed"),
		strings.Contains(msg, "Unauthorized name"),
		strings.Contains(msg, "invalid name"):
		kind = ErrAuth
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline"), strings.Contains(msg, "connection refused"),
		strings.Contains(msg, "no route"), strings.Contains(msg, "network is unreachable"):
		kind = ErrUnreachable
	}
	netns := ""
	if !nsutil.IsHost(s.cfg.Netns) {
		netns = " (from netns " + s.cfg.Netns + ")"
	}
	if kind != nil {
		return fmt.Errorf("bmc %s%s: %s: %w (%w)", s.cfg.endpoint(), netns, what, kind, redact(err, s.pw))
	}
	return fmt.Errorf("bmc %s%s: %s: %w", s.cfg.endpoint(), netns, what, redact(err, s.pw))
}

// redactedError hides a secret in a wrapped error's text and keeps the
// chain for errors.Is.
type redactedError struct {
	err    error
	secret string
}

// Error keeps the message on one line: go-ipmi joins the errors of each
// cipher suite it tried with newlines, and reports and journals are read
// line by line.
func (e redactedError) Error() string {
	msg := strings.Join(strings.Fields(e.err.Error()), " ")
	if e.secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, e.secret, "********")
}

func (e redactedError) Unwrap() error { return e.err }

func redact(err error, secret string) error { return redactedError{err: err, secret: secret} }

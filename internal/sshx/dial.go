package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/faultline/faultline/internal/nsutil"
)

// Client is one SSH connection to a host, used for everything faultline
// does there.
type Client struct {
	Target *Target
	// HostKey is the verified host key's type and SHA-256 fingerprint,
	// for plans and reports.
	HostKey string
	conn    *ssh.Client
	jump    *Client
	once    sync.Once
	err     error
}

// SSH is the underlying connection.
func (c *Client) SSH() *ssh.Client { return c.conn }

// Close ends the connection and the jump host's.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.err = c.conn.Close()
		if c.jump != nil {
			c.jump.Close()
		}
	})
	return c.err
}

// Dial connects and logs in to t within t.Timeout (default 10 s): the
// host key is checked, the keys tried are listed in an auth error, and
// every error names the host.
func Dial(ctx context.Context, t *Target) (*Client, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	var jump *Client
	var conn net.Conn
	var err error
	if t.Jump != nil {
		if jump, err = Dial(ctx, t.Jump); err != nil {
			return nil, fmt.Errorf("host %s: jump: %w", t.Name, err)
		}
		conn, err = jump.conn.DialContext(ctx, "tcp", t.Addr())
	} else {
		conn, err = nsutil.Dialer(t.DialNetns)(ctx, "tcp", t.Addr())
	}
	if err != nil {
		if jump != nil {
			jump.Close()
		}
		return nil, fmt.Errorf("host %s: connect %s%s: %w: %w", t.Name, t.Addr(), via(t), ErrUnreachable, err)
	}
	c, hostKey, err := handshake(ctx, t, conn)
	if err != nil {
		conn.Close()
		if jump != nil {
			jump.Close()
		}
		return nil, err
	}
	return &Client{Target: t, HostKey: hostKey, conn: c, jump: jump}, nil
}

func via(t *Target) string {
	switch {
	case t.Jump != nil:
		return " via " + t.Jump.Name
	case t.DialNetns != "":
		return " from netns " + t.DialNetns
	}
	return ""
}

func handshake(ctx context.Context, t *Target, conn net.Conn) (*ssh.Client, string, error) {
	check, algos, err := hostKeyCheck(t)
	if err != nil {
		return nil, "", err
	}
	keys, closeAgent, err := signers(t)
	defer closeAgent()
	if err != nil {
		return nil, "", err
	}
	var seen string
	verify := check
	check = func(addr string, remote net.Addr, key ssh.PublicKey) error {
		err := verify(addr, remote, key)
		if err == nil {
			seen = key.Type() + " " + ssh.FingerprintSHA256(key)
		}
		return err
	}
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(keys...)},
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
		Timeout:           t.timeout(),
	}
	// The handshake has no context: a deadline on the socket bounds it,
	// and cancelling closes the socket.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr(), cfg)
	stopped := stop()
	if err != nil {
		var hk *HostKeyError
		switch {
		case errors.As(err, &hk):
			return nil, "", hk
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, "", fmt.Errorf("host %s: %s@%s refused keys %v: %w", t.Name, t.User, t.Addr(),
				fingerprints(keys), ErrAuth)
		case !stopped || ctx.Err() != nil || isTimeout(err):
			return nil, "", fmt.Errorf("host %s: SSH handshake with %s%s timed out after %s: %w", t.Name, t.Addr(), via(t), t.timeout(), ErrUnreachable)
		}
		return nil, "", fmt.Errorf("host %s: SSH handshake with %s%s: %w", t.Name, t.Addr(), via(t), err)
	}
	if !stopped {
		sc.Close()
		return nil, "", fmt.Errorf("host %s: SSH handshake with %s: %w", t.Name, t.Addr(), ctx.Err())
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), seen, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

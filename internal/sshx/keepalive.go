package sshx

import (
	"context"
	"fmt"
	"time"
)

// Keepalive sends an OpenSSH keepalive request every interval and closes
// the connection when one gets no answer within timeout: a cut control
// link then fails every channel on it at once instead of when TCP gives
// up. It returns when ctx ends or the connection is closed, with the
// reason.
func (c *Client) Keepalive(ctx context.Context, interval, timeout time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			// OpenSSH answers an unknown global request with a failure:
			// any answer proves the link and the server alive.
			_, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case err := <-reply:
			if err != nil {
				return fmt.Errorf("host %s: connection lost: %w", c.Target.Name, err)
			}
		case <-time.After(timeout):
			c.Close()
			return fmt.Errorf("host %s: no keepalive answer within %s: %w", c.Target.Name, timeout, ErrUnreachable)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until the connection is closed (by either side or by
// Keepalive) and returns why.
func (c *Client) Wait() error { return c.conn.Wait() }

package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Process is a command running on a host on its own session channel:
// Read is its stdout, Write its stdin, Close ends its stdin.
type Process struct {
	host   string
	sess   *ssh.Session
	stdin  io.WriteCloser
	stdout io.Reader
	stderr *tailBuffer
	done   chan struct{}
	err    error
}

// Start runs path with args on a new session of the connection. The
// words are single-quoted: sshd hands the command line to the login
// user's shell, and nothing in it may be interpreted.
func (c *Client) Start(ctx context.Context, path string, args ...string) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sess, err := c.conn.NewSession()
	if err != nil {
		return nil, fmt.Errorf("host %s: session: %w", c.Target.Name, err)
	}
	p := &Process{host: c.Target.Name, sess: sess, stderr: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	if p.stdin, err = sess.StdinPipe(); err == nil {
		p.stdout, err = sess.StdoutPipe()
	}
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("host %s: session pipes: %w", c.Target.Name, err)
	}
	sess.Stderr = p.stderr
	words := make([]string, 0, 1+len(args))
	for _, w := range append([]string{path}, args...) {
		words = append(words, shellQuote(w))
	}
	// exec: the program replaces the login shell, so it is sshd's child
	// and sees its stdin close with the channel.
	if err := sess.Start("exec " + strings.Join(words, " ")); err != nil {
		sess.Close()
		return nil, fmt.Errorf("host %s: start %s: %w", c.Target.Name, path, err)
	}
	go func() {
		p.err = sess.Wait()
		close(p.done)
	}()
	return p, nil
}

// StartAgent installs the running faultline binary (os.Executable) on the
// host under dir ("" = DefaultAgentDir) and starts `faultline agent
// --stdio` from the copy, which checks its own hash before anything else.
func (c *Client) StartAgent(ctx context.Context, dir string, args ...string) (*Process, *Installed, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: own binary: %w", c.Target.Name, err)
	}
	in, err := c.InstallChecked(ctx, exe, dir)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.RunAgent(ctx, in, args...)
	return p, in, err
}

// RunAgent starts `faultline [args] agent --stdio --sha256 <sum>` from
// an installed binary: the agent hashes its own executable and exits
// with ExitBadBinary, before reading a byte, when it is not what was
// installed (see BadBinary).
func (c *Client) RunAgent(ctx context.Context, in *Installed, args ...string) (*Process, error) {
	return c.Start(ctx, in.Path, append(append([]string(nil), args...), "agent", "--stdio", "--sha256", in.SHA256)...)
}

// BadBinary waits up to d for the process to end and says whether it
// ended with ExitBadBinary: its copy on the host failed its own hash.
func (p *Process) BadBinary(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		return false
	}
	var ee *ssh.ExitError
	return errors.As(p.err, &ee) && ee.ExitStatus() == ExitBadBinary
}

func (p *Process) Read(b []byte) (int, error)  { return p.stdout.Read(b) }
func (p *Process) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// Close ends the process's stdin (it reads EOF).
func (p *Process) Close() error { return p.stdin.Close() }

// Done is closed when the process has exited and its channel closed.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit (or ctx). A non-zero exit names the
// host and carries the end of its stderr.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err == nil {
		return nil
	}
	var ee *ssh.ExitError
	if errors.As(p.err, &ee) {
		return fmt.Errorf("host %s: exit status %d: %s", p.host, ee.ExitStatus(), strings.TrimSpace(p.stderr.String()))
	}
	return fmt.Errorf("host %s: %w (stderr: %s)", p.host, p.err, strings.TrimSpace(p.stderr.String()))
}

// KillGrace is how long Kill waits for the process to end at EOF before
// it closes the channel anyway.
const KillGrace = 2 * time.Second

// Kill asks sshd to SIGKILL the process, ends its stdin, waits up to
// KillGrace (or ctx) for it to exit and closes the channel. OpenSSH
// refuses signals on root logins (no privilege separation after
// authentication), so a process that must die with its channel has to
// end at EOF on stdin, as `faultline agent --stdio` does; closing the
// channel before it has exited would leave sshd waiting on it.
func (p *Process) Kill(ctx context.Context) error {
	_ = p.sess.Signal(ssh.SIGKILL) // best effort: see above
	_ = p.stdin.Close()
	t := time.NewTimer(KillGrace)
	defer t.Stop()
	var err error
	select {
	case <-p.done:
	case <-t.C:
		err = fmt.Errorf("host %s: no exit status %s after EOF; channel closed", p.host, KillGrace)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := p.sess.Close(); cerr != nil && !errors.Is(cerr, io.EOF) && err == nil {
		err = fmt.Errorf("host %s: close session: %w", p.host, cerr)
	}
	return err
}

// Stderr is the last 8 KiB the process wrote to stderr.
func (p *Process) Stderr() string { return p.stderr.String() }

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

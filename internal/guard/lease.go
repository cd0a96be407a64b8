// Package guard keeps faults from outliving their injector. `run` starts a
// guard: a process of its own session (a terminal's signals and a kill of
// the runner's process group do not reach it) that holds a lease on one
// end of a socket pair. The runner keeps the other end and writes a
// heartbeat on it. When the runner dies, the kernel closes its end and the
// guard reads EOF at once; when the runner hangs, the heartbeat stops and
// the lease expires after the TTL. Either way the guard reverts every open
// undo record of the run's journal and exits. When the guard dies, the
// runner reads EOF on its end and aborts its run.
package guard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Lease messages, one byte each on the socket.
const (
	msgReady     = 'R' // guard → runner: the guard holds the lease
	msgHeartbeat = 'h' // runner → guard
	msgDone      = 'D' // runner → guard: the run ended cleanly, exit
)

// ErrLost is the error of a lease whose guard is gone.
var ErrLost = errors.New("guard lost")

// StartConfig says how to start the guard process.
type StartConfig struct {
	// Exe and Args start the guard (the faultline binary and its hidden
	// guard command). The guard finds its end of the lease on fd 3 and
	// Files on fd 4 onwards.
	Exe  string
	Args []string
	// TTL is how long the guard waits for a heartbeat; the runner beats
	// every TTL/4.
	TTL time.Duration
	// LogPath receives the guard's output (it must not share the runner's
	// stdout: a runner killed mid-write must not leave a reader waiting).
	LogPath string
	// Files are inherited by the guard (target lock files: the guard keeps
	// the targets locked until it has reverted them).
	Files []*os.File
	// ReadyTimeout bounds the wait for the guard's ready message (default 10s).
	ReadyTimeout time.Duration
	// Env is the guard's environment (nil: this process's).
	Env []string
}

// Lease is the runner's end of a guard's lease.
type Lease struct {
	conn   net.Conn
	cmd    *exec.Cmd
	ttl    time.Duration
	exited chan struct{} // closed when the guard process has been reaped
	lost   chan error    // receives the first loss, once

	ready    chan struct{} // closed once the handshake ended
	readyErr error         // set before ready is closed: the guard never came up

	mu      sync.Mutex
	err     error
	done    bool
	stopped chan struct{}
}

// Start starts the guard and waits until it holds the lease. No fault may
// be injected before Start returns without error.
func Start(ctx context.Context, c StartConfig) (*Lease, error) {
	l, err := Spawn(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := l.Ready(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Spawn starts the guard and returns at once, while the guard process
// comes up. Once Spawn has returned, the guard process exists (exec'd,
// holding its end of the lease): whenever it gets going it reads the
// journal and reverts every open undo record if the runner is gone by
// then, so the runner may write undo records and inject at once (see
// Armed). A guard that does not come up within ReadyTimeout is a lost
// lease (Lost, Check): the runner aborts its run and reverts it itself.
func Spawn(ctx context.Context, c StartConfig) (*Lease, error) {
	if c.TTL <= 0 {
		return nil, errors.New("guard: TTL must be positive")
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 10 * time.Second
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("guard: socketpair: %w", err)
	}
	mine := os.NewFile(uintptr(fds[0]), "lease-runner")
	theirs := os.NewFile(uintptr(fds[1]), "lease-guard")
	defer theirs.Close()
	conn, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("guard: log: %w", err)
	}
	defer logf.Close()
	cmd := exec.CommandContext(context.WithoutCancel(ctx), c.Exe, c.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = c.Env
	cmd.ExtraFiles = append([]*os.File{theirs}, c.Files...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("guard: start: %w", err)
	}
	l := &Lease{conn: conn, cmd: cmd, ttl: c.TTL, exited: make(chan struct{}),
		lost: make(chan error, 1), stopped: make(chan struct{}), ready: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(l.exited) }()
	go l.handshake(c.ReadyTimeout, c.LogPath)
	return l, nil
}

// handshake waits for the guard's ready message, then watches the lease
// and beats; a guard that does not come up is killed and reaped.
func (l *Lease) handshake(timeout time.Duration, logPath string) {
	defer close(l.ready)
	br := bufio.NewReader(l.conn)
	_ = l.conn.SetReadDeadline(time.Now().Add(timeout))
	b, err := br.ReadByte()
	if err != nil || b != msgReady {
		_ = l.cmd.Process.Kill()
		<-l.exited
		l.conn.Close()
		if err == nil {
			err = fmt.Errorf("unexpected message %q", b)
		}
		l.readyErr = fmt.Errorf("guard did not come up (see %s): %w", logPath, err)
		l.fail(l.readyErr)
		return
	}
	_ = l.conn.SetReadDeadline(time.Time{})
	go l.watch(br)
	go l.beat()
}

// Ready waits until the guard holds the lease, or fails once it cannot
// (it died or did not come up within the ready timeout: it is reaped).
func (l *Lease) Ready(ctx context.Context) error {
	select {
	case <-l.ready:
		return l.readyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Armed returns at once: nil while the guard is coming up or holds the
// lease, an error once it is known not to have come up. A spawned guard
// process is enough to write undo records and inject: it reverts them if
// the runner is gone by the time it runs, and a guard that never comes up
// is a lost lease the runner sees (Lost) while it is alive to revert.
func (l *Lease) Armed(context.Context) error {
	select {
	case <-l.ready:
		return l.readyErr
	default:
		return nil
	}
}

// PID is the guard's process id.
func (l *Lease) PID() int { return l.cmd.Process.Pid }

// Check returns an error once the guard is gone.
func (l *Lease) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Lost delivers the guard's loss once.
func (l *Lease) Lost() <-chan error { return l.lost }

func (l *Lease) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil || l.done {
		return
	}
	l.err = fmt.Errorf("%w: %w", ErrLost, err)
	l.lost <- l.err
}

// watch reads the guard's end: it never writes after ready, so anything
// but a block is the guard's death.
func (l *Lease) watch(br *bufio.Reader) {
	_, err := br.ReadByte()
	if err == nil {
		err = errors.New("unexpected message from the guard")
	}
	l.fail(fmt.Errorf("the guard closed its lease: %w", err))
}

func (l *Lease) beat() {
	t := time.NewTicker(l.ttl / 4)
	defer t.Stop()
	for {
		select {
		case <-l.stopped:
			return
		case <-t.C:
			_ = l.conn.SetWriteDeadline(time.Now().Add(l.ttl))
			if _, err := l.conn.Write([]byte{msgHeartbeat}); err != nil {
				l.fail(fmt.Errorf("heartbeat: %w", err))
				return
			}
		}
	}
}

// Release ends the lease after a clean end of the run: the guard exits
// without reverting anything, and Release waits for it (and so for the
// target locks it holds) up to timeout.
func (l *Lease) Release(timeout time.Duration) error {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return nil
	}
	l.done = true
	l.mu.Unlock()
	close(l.stopped)
	// A guard still coming up is waited for (the handshake is bounded):
	// one that never came up is already reaped, with nothing to release.
	<-l.ready
	if l.readyErr != nil {
		return nil
	}
	_ = l.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, werr := l.conn.Write([]byte{msgDone})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-l.exited:
	case <-t.C:
		_ = l.cmd.Process.Kill()
		<-l.exited
		werr = errors.Join(werr, fmt.Errorf("guard did not exit within %s; killed", timeout))
	}
	l.conn.Close()
	return werr
}

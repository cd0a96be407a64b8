// Package agent is the host side of a remote run: `faultline agent
// --stdio` serves one controller over its stdin and stdout. It injects
// with the same fault and probe registries as a local run, journals its
// undo records on the host (fsync'd before any inject), and holds every
// fault under a lease renewed by the controller's heartbeats: when they
// stop for guardTTL, or the stream ends, it reverts what it holds and
// exits. A guard process of its own session covers the agent's own death.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/wire"
)

// DefaultTTL is the lease when the controller names none.
const DefaultTTL = 3 * time.Second

// StateSubdir holds the agent's journals under the state directory.
const StateSubdir = "agent-state"

// Options of an agent session.
type Options struct {
	// StateDir is faultline's state directory on the host (default
	// engine.DefaultStateDir). Journals go to StateDir/agent-state (0700);
	// a pointer in StateDir/active lets `faultline recover` on the host
	// find them.
	StateDir string
	// Version is this binary's version; the controller's must match.
	Version string
	// Host names this machine in replies (default: its hostname).
	Host string
	// StartGuard starts the host guard over the session's journal; nil
	// runs unguarded (in-process specs only).
	StartGuard func(ctx context.Context, run, journal string, ttl time.Duration) (*guard.Lease, error)
	// Log receives the agent's own lines (never stdout: it carries frames).
	Log io.Writer
}

// Outcome says how a session ended.
type Outcome struct {
	Reason   string
	Reverted int
	Err      error
}

var runIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`) })

type session struct {
	opts      Options
	epoch     time.Time
	epochMono int64
	w         *wire.Writer
	jw        *journal.Writer
	jpath     string
	ttl       time.Duration
	run       string
	exp       string
	lease     *guard.Lease
	// allowLockout is the controller's safety.allowLockout.
	allowLockout bool

	lastBeat atomic.Int64 // mono ns of the last heartbeat

	mu     sync.Mutex
	steps  map[string]*held
	order  []*held // in the order they were built
	probes map[string]*probeRun

	shutdown *wire.Message // the controller's shutdown request, if that ended the session

	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	work   sync.WaitGroup
}

func (s *session) mono() int64 { return int64(time.Since(s.epoch)) }

func (s *session) logf(format string, a ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, time.Now().Format("15:04:05.000000 ")+"agent: "+format+"\n", a...)
	}
}

// Serve runs one session: hello, then requests until shutdown, the end of
// the stream, a lost lease or ctx's end. Whatever it still holds is
// reverted before it returns.
func Serve(ctx context.Context, r io.Reader, w io.Writer, opts Options) Outcome {
	if opts.StateDir == "" {
		opts.StateDir = engine.DefaultStateDir
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	s := &session{opts: opts, epoch: time.Now(), epochMono: monoNow(), w: wire.NewWriter(w),
		steps: map[string]*held{}, probes: map[string]*probeRun{}}
	rd := wire.NewReader(r)
	if err := s.hello(ctx, rd); err != nil {
		_ = s.w.Write(&wire.Message{Type: wire.TError, Text: err.Error()})
		s.logf("%v", err)
		return Outcome{Reason: "hello failed", Err: err}
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	reason := s.loop(ctx, rd)
	return s.finish(reason)
}

func (s *session) hello(ctx context.Context, rd *wire.Reader) error {
	m, err := rd.Read()
	if err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if m.Type != wire.THello {
		return fmt.Errorf("%w: first message is %q, want hello", wire.ErrGarbage, m.Type)
	}
	if err := wire.CheckHello(m.Hello, s.opts.Version); err != nil {
		return err
	}
	h := m.Hello
	if !runIDRe().MatchString(h.Run) {
		return fmt.Errorf("hello: run id %q: want letters, digits, '.', '_', '-'", h.Run)
	}
	s.run, s.exp, s.ttl, s.allowLockout = h.Run, h.Experiment, time.Duration(h.GuardTTL), h.AllowLockout
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if err := s.openJournal(); err != nil {
		return err
	}
	if s.opts.StartGuard != nil {
		// No fault lands before the host guard holds its lease.
		l, err := s.opts.StartGuard(ctx, s.run, s.jpath, s.ttl)
		if err != nil {
			s.closeJournal(journal.StatusError, err)
			return fmt.Errorf("host guard: %w", err)
		}
		s.lease = l
	}
	s.lastBeat.Store(s.mono())
	return s.w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version,
		Binary: s.opts.Version, Role: "agent", Host: s.opts.Host, PID: os.Getpid(), Journal: s.jpath,
		EpochWall: s.epoch.UnixNano(), EpochMono: s.epochMono}})
}

// openJournal creates the session's journal in a root-only folder and
// points the state directory's active folder at it.
func (s *session) openJournal() error {
	dir := filepath.Join(s.opts.StateDir, StateSubdir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	s.jpath = filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", s.run, os.Getpid()))
	jw, err := journal.Create(s.jpath)
	if err != nil {
		return err
	}
	s.jw = jw
	name := s.exp
	if name == "" {
		name = s.run
	}
	if err := jw.Header(journal.Header{Run: s.run, Experiment: &experiments.Experiment{Version: 1, Name: name},
		Wall: s.epoch, Host: s.opts.Host, Version: s.opts.Version, PID: os.Getpid()}); err != nil {
		return err
	}
	active := engine.ActiveDir(s.opts.StateDir)
	if err := os.MkdirAll(active, 0o755); err == nil {
		_ = os.Symlink(s.jpath, s.activeLink())
	}
	return nil
}

func (s *session) activeLink() string {
	return filepath.Join(engine.ActiveDir(s.opts.StateDir), "agent-"+filepath.Base(s.jpath))
}

func (s *session) closeJournal(status string, err error) {
	text := ""
	if err != nil {
		text = err.Error()
	}
	_ = s.jw.End(time.Duration(s.mono()), status, 0, text)
}

// loop reads requests; heartbeats are answered on the reader goroutine
// itself so their echo is not queued behind slow work.
func (s *session) loop(ctx context.Context, rd *wire.Reader) string {
	msgs := make(chan *wire.Message, 64)
	readErr := make(chan error, 1)
	go func() {
		for {
			m, err := rd.Read()
			if err != nil {
				readErr <- err
				return
			}
			if m.Type == wire.THeartbeat && m.Beat != nil {
				now := s.mono()
				s.lastBeat.Store(now)
				b := *m.Beat
				b.Agent = now
				_ = s.w.Write(&wire.Message{Type: wire.TBeatAck, Beat: &b})
				continue
			}
			select {
			case msgs <- m:
			case <-s.ctx.Done():
				return
			}
		}
	}()
	// The lease is checked when it would run out (last heartbeat + ttl),
	// not on a coarse tick: the revert starts as soon as it is due, and
	// an idle session wakes about once per ttl.
	expiry := time.NewTimer(s.ttl)
	defer expiry.Stop()
	due, graced := time.Now().Add(s.ttl), false
	var guardLost <-chan error
	if s.lease != nil {
		guardLost = s.lease.Lost()
	}
	for {
		select {
		case <-ctx.Done():
			return "stopped: " + ctx.Err().Error()
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				return "the controller closed the stream"
			}
			return "the stream failed: " + err.Error()
		case err := <-guardLost:
			return "the host guard died: " + err.Error()
		case now := <-expiry.C:
			late := now.Sub(due)
			idle := time.Duration(s.mono() - s.lastBeat.Load())
			if idle <= s.ttl {
				graced = false
				left := s.ttl - idle + time.Millisecond
				due = now.Add(left)
				expiry.Reset(left)
				continue
			}
			// This process itself did not run for a while (a loaded
			// host): heartbeats sent meanwhile may be waiting unread, and
			// they prove the controller alive. One more check shortly
			// lets the reader catch up first.
			if late > s.ttl/2 && !graced {
				graced = true
				s.logf("run %s: no heartbeat read for %s, but this process was stalled %s; checking again", s.run, idle.Round(time.Millisecond), late.Round(time.Millisecond))
				due = now.Add(20 * time.Millisecond)
				expiry.Reset(20 * time.Millisecond)
				continue
			}
			return fmt.Sprintf("no heartbeat within %s (lease expired; the last one %s ago)", s.ttl, idle.Round(time.Millisecond))
		case m := <-msgs:
			if m.Type == wire.TShutdown {
				s.shutdown = m // answered once everything is reverted
				return "shutdown by the controller"
			}
			s.work.Add(1)
			go func() {
				defer s.work.Done()
				s.handle(m)
			}()
		}
	}
}

// finish reverts what is held, stops probes, ends the journal and lets
// the guard go only when nothing is left for it.
func (s *session) finish(reason string) Outcome {
	s.logf("run %s: %s; reverting what is held", s.run, reason)
	s.cancel()
	s.stopProbes()
	s.work.Wait()
	n, err := s.revertAll("lease")
	o := Outcome{Reason: reason, Reverted: n, Err: err}
	if err != nil {
		// Leave the records open: the guard (the lease closes as this
		// process exits) and `faultline recover` retry them.
		s.logf("run %s: revert failed, left to the host guard: %v", s.run, err)
		if s.shutdown != nil {
			s.reply(s.shutdown, wire.ErrorReply(fmt.Errorf("revert failed on the host, left to its guard: %w", err)))
		} else {
			_ = s.w.Write(&wire.Message{Type: wire.TNotice, Text: "revert failed on the host: " + err.Error()})
		}
		_ = s.jw.Close()
		return o
	}
	s.closeJournal(journal.StatusPassed, nil)
	_ = os.Remove(s.activeLink())
	if s.lease != nil {
		if err := s.lease.Release(5 * time.Second); err != nil {
			s.logf("host guard: %v", err)
		}
	}
	s.logf("run %s: %d reverted; done", s.run, n)
	if s.shutdown != nil {
		s.reply(s.shutdown, &wire.Reply{})
	}
	return o
}

func (s *session) reply(m *wire.Message, r *wire.Reply) {
	if err := s.w.Write(&wire.Message{Type: wire.TReply, ID: m.ID, Reply: r}); err != nil {
		s.logf("reply %s: %v", m.Type, err)
	}
}

// monoNow reads CLOCK_MONOTONIC, the clock Go's monotonic readings use.
func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

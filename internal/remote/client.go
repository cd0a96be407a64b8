// Package remote is the controller's side of a host: a client over the
// wire protocol to `faultline agent --stdio`, heartbeats that keep the
// host's lease, faults and actions that run on the host behind the same
// interfaces as local ones, probe streams whose samples are mapped onto
// the controller's clock, and the Executor interface through which the
// engine hands a step or probe to this machine or to a host.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/wire"
)

// ErrLost is the error of a host whose agent can no longer be reached.
var ErrLost = errors.New("host lost")

// Config of a session with one host's agent.
type Config struct {
	Host       string // a name for errors and reports
	Run        string
	Experiment string
	// GuardTTL is the lease the agent holds faults under.
	GuardTTL time.Duration
	// AllowLockout is the experiment's safety.allowLockout: without it the
	// host refuses a fault that cuts the SSH connection it is reached by.
	AllowLockout bool
	// Version is this binary's; the agent's must be the same.
	Version string
	// Beat is the heartbeat interval (default GuardTTL/10, at most 100 ms:
	// more round trips give the clock filter more to choose from).
	Beat time.Duration
	// HelloTimeout bounds the hello exchange (default 10s).
	HelloTimeout time.Duration
}

// Client is one session with a host's agent. It is safe for concurrent use.
type Client struct {
	cfg       Config
	rwc       io.ReadWriteCloser
	w         *wire.Writer
	epoch     time.Time
	epochMono int64
	agent     wire.Hello

	clock   clock
	lastAck atomic.Int64 // controller clock (ns) of the last echo
	seq     atomic.Uint64
	ids     atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]chan *wire.Message
	streams map[string]*stream
	err     error

	lost      chan error // receives the loss once
	closed    chan struct{}
	beatStop  chan struct{}
	beatOnce  sync.Once
	closeOnce sync.Once
}

// Dial opens a session over rwc (an SSH channel to `faultline agent
// --stdio`, or a pipe): hello and version check, a first burst of
// heartbeats for the clock estimate, then heartbeats until Close.
func Dial(ctx context.Context, rwc io.ReadWriteCloser, cfg Config) (*Client, error) {
	if cfg.GuardTTL <= 0 {
		cfg.GuardTTL = 3 * time.Second
	}
	if cfg.Beat <= 0 {
		cfg.Beat = min(cfg.GuardTTL/10, 100*time.Millisecond)
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	c := &Client{cfg: cfg, rwc: rwc, w: wire.NewWriter(rwc), epoch: time.Now(), epochMono: monoNow(),
		pending: map[uint64]chan *wire.Message{}, streams: map[string]*stream{},
		lost: make(chan error, 1), closed: make(chan struct{}), beatStop: make(chan struct{})}
	rd := wire.NewReader(rwc)
	if err := c.hello(ctx, rd); err != nil {
		rwc.Close()
		return nil, fmt.Errorf("host %s: %w", cfg.Host, err)
	}
	c.lastAck.Store(int64(c.mono()))
	go c.read(rd)
	for i := 0; i < 8; i++ { // a first estimate before anything is scheduled
		c.beat()
		time.Sleep(2 * time.Millisecond)
	}
	go c.beatLoop()
	return c, nil
}

func (c *Client) hello(ctx context.Context, rd *wire.Reader) error {
	if err := c.w.Write(&wire.Message{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version,
		Binary: c.cfg.Version, Role: "controller", Run: c.cfg.Run, Experiment: c.cfg.Experiment,
		GuardTTL: int64(c.cfg.GuardTTL), AllowLockout: c.cfg.AllowLockout}}); err != nil {
		return err
	}
	type res struct {
		m   *wire.Message
		err error
	}
	ch := make(chan res, 1)
	go func() { m, err := rd.Read(); ch <- res{m, err} }()
	t := time.NewTimer(c.cfg.HelloTimeout)
	defer t.Stop()
	var r res
	select {
	case r = <-ch:
	case <-t.C:
		return fmt.Errorf("no hello from the agent within %s", c.cfg.HelloTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.err != nil {
		return fmt.Errorf("hello: %w", r.err)
	}
	switch r.m.Type {
	case wire.TError:
		return fmt.Errorf("the agent refused the session: %s", r.m.Text)
	case wire.THello:
	default:
		return fmt.Errorf("%w: first message is %q, want hello", wire.ErrGarbage, r.m.Type)
	}
	if err := wire.CheckHello(r.m.Hello, c.cfg.Version); err != nil {
		return err
	}
	c.agent = *r.m.Hello
	return nil
}

// Agent is the agent's hello: its host name, pid, journal path and clock origin.
func (c *Client) Agent() wire.Hello { return c.agent }

// Epoch is this end's clock origin (samples and stamps are offsets from
// it), as a time and as a CLOCK_MONOTONIC reading in ns.
func (c *Client) Epoch() (time.Time, int64) { return c.epoch, c.epochMono }

func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Host is the host's name.
func (c *Client) Host() string { return c.cfg.Host }

// Clock is the current estimate of the host's clock against this one.
func (c *Client) Clock() ClockEstimate { return c.clock.estimate() }

// Lost delivers the loss of the host once (the stream failed or the agent
// said it let go of its faults).
func (c *Client) Lost() <-chan error { return c.lost }

func (c *Client) mono() time.Duration { return time.Since(c.epoch) }

func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = fmt.Errorf("%w: %s: %w", ErrLost, c.cfg.Host, err)
	pend := c.pending
	c.pending = map[uint64]chan *wire.Message{}
	streams := c.streams
	c.mu.Unlock()
	for _, ch := range pend {
		close(ch)
	}
	for _, st := range streams {
		st.end()
	}
	select {
	case <-c.closed: // a Close, not a loss
	default:
		c.lost <- c.err
	}
}

func (c *Client) read(rd *wire.Reader) {
	for {
		m, err := rd.Read()
		if err != nil {
			c.fail(err)
			return
		}
		switch m.Type {
		case wire.TBeatAck:
			if m.Beat != nil {
				now := c.mono()
				c.lastAck.Store(int64(now))
				c.clock.add(time.Duration(m.Beat.Sent), now, time.Duration(m.Beat.Agent))
			}
		case wire.TSamples:
			if m.Batch != nil {
				c.mu.Lock()
				st := c.streams[m.Batch.Probe]
				c.mu.Unlock()
				if st != nil {
					st.deliver(m.Batch.Samples)
				}
			}
		case wire.TReply:
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
				close(ch)
			}
		case wire.TNotice, wire.TError:
			c.fail(errors.New("agent: " + m.Text))
			return
		}
	}
}

func (c *Client) beat() {
	seq := c.seq.Add(1)
	if err := c.w.Write(&wire.Message{Type: wire.THeartbeat, Beat: &wire.Beat{Seq: seq, Sent: int64(c.mono())}}); err != nil {
		c.fail(err)
	}
}

func (c *Client) beatLoop() {
	t := time.NewTicker(c.cfg.Beat)
	defer t.Stop()
	lastTick, graced := time.Now(), false
	for {
		select {
		case <-c.beatStop:
			return
		case <-t.C:
			now := time.Now()
			gap := now.Sub(lastTick)
			lastTick = now
			// No echo for the TTL: the host has let its faults go (or
			// will at once); the run must know, even while TCP is silent.
			if idle := c.mono() - time.Duration(c.lastAck.Load()); idle > c.cfg.GuardTTL {
				// Unless this process was stalled itself: echoes may be
				// waiting unread. One more beat lets the reader catch up.
				if gap > c.cfg.GuardTTL/2 && !graced {
					graced = true
					c.beat()
					continue
				}
				c.fail(fmt.Errorf("no heartbeat echo within %s (the host reverts on its own; the last one %s ago)", c.cfg.GuardTTL, idle.Round(time.Millisecond)))
				return
			}
			graced = false
			c.beat()
		}
	}
}

// call sends a request and waits for its reply.
func (c *Client) call(ctx context.Context, m *wire.Message) (*wire.Reply, error) {
	m.ID = c.ids.Add(1)
	ch := make(chan *wire.Message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending[m.ID] = ch
	c.mu.Unlock()
	if err := c.w.Write(m); err != nil {
		c.fail(err)
		return nil, fmt.Errorf("host %s: %s: %w", c.cfg.Host, m.Type, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		if r.Reply == nil {
			return nil, fmt.Errorf("host %s: %s: empty reply", c.cfg.Host, m.Type)
		}
		if err := r.Reply.Err(); err != nil {
			return nil, fmt.Errorf("host %s: %w", c.cfg.Host, err)
		}
		return r.Reply, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, m.ID)
		c.mu.Unlock()
		return nil, fmt.Errorf("host %s: %s: %w", c.cfg.Host, m.Type, ctx.Err())
	}
}

// Close asks the agent to revert what it still holds and exit, then
// closes the stream. Without a reply within ctx the stream is closed
// anyway: the agent reverts on the stream's end too.
func (c *Client) Close(ctx context.Context) error {
	var err error
	c.closeOnce.Do(func() {
		_, err = c.call(ctx, &wire.Message{Type: wire.TShutdown})
		close(c.closed)
		c.beatOnce.Do(func() { close(c.beatStop) })
		c.rwc.Close()
	})
	return err
}

// mapStamp maps an agent-clock stamp onto the controller's clock, as an
// offset from base.
func (c *Client) mapStamp(agent time.Duration, base time.Time) time.Duration {
	e := c.clock.use()
	return agent - e.Offset - base.Sub(c.epoch)
}

package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/procid"
)

// LeaseFD is the descriptor on which the guard finds its end of the lease.
const LeaseFD = 3

// ServeConfig is the guard's side.
type ServeConfig struct {
	StateDir string
	RunID    string
	// Journal is the run's journal (it may not exist yet: a runner that
	// died before writing it left nothing to revert).
	Journal string
	TTL     time.Duration
	Log     io.Writer
	// Halted, when set, is polled (every haltPoll): once it reports a halt
	// and the runner has not ended its run within HaltGrace, the guard
	// reverts the run for it (a hung or stopped runner).
	Halted    func() (reason string, halted bool)
	HaltGrace time.Duration
}

// haltPoll is how often the guard asks Halted.
const haltPoll = 50 * time.Millisecond

// Outcome is how a guard's watch ended.
type Outcome struct {
	// Clean is true when the runner ended its run and released the lease.
	Clean bool
	// Reason the lease was lost (runner died, heartbeat stopped).
	Reason string
	// LostAt is when the loss was seen; Reverted when the revert finished.
	LostAt, Reverted time.Time
	Actions          []engine.RecoverAction
	Err              error
}

// Serve holds the lease on conn: it says it is ready, then waits for
// heartbeats. On a clean release it returns at once. When the runner
// closes its end (it died) or beats no more within the TTL, it reverts
// every open undo record of the run's journal, retrying failures while
// time is left within the TTL, and returns what it did.
func Serve(ctx context.Context, conn net.Conn, c ServeConfig) Outcome {
	logf := func(format string, a ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, time.Now().Format("15:04:05.000000 ")+format+"\n", a...)
		}
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{msgReady}); err != nil {
		logf("guard %s: cannot say ready: %v", c.RunID, err)
		return revert(ctx, c, "runner gone before the guard was ready: "+err.Error(), logf)
	}
	logf("guard %s: holding the lease (ttl %s, journal %s)", c.RunID, c.TTL, c.Journal)
	buf := make([]byte, 64)
	lastBeat := time.Now()
	var haltedAt time.Time
	for {
		wait := c.TTL
		if c.Halted != nil {
			wait = haltPoll
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		n, err := conn.Read(buf)
		for _, b := range buf[:n] {
			if b == msgDone {
				logf("guard %s: run ended, lease released", c.RunID)
				return Outcome{Clean: true}
			}
		}
		if n > 0 {
			lastBeat = time.Now()
		}
		var ne net.Error
		timeout := err != nil && errors.As(err, &ne) && ne.Timeout()
		if err != nil && !timeout {
			reason := "the runner closed the lease (it died): " + err.Error()
			if errors.Is(err, io.EOF) {
				reason = "the runner closed the lease (it died)"
			}
			return revert(ctx, c, reason, logf)
		}
		if time.Since(lastBeat) >= c.TTL {
			return revert(ctx, c, fmt.Sprintf("no heartbeat within %s", c.TTL), logf)
		}
		if c.Halted == nil {
			continue
		}
		if why, halted := c.Halted(); halted {
			if haltedAt.IsZero() {
				haltedAt = time.Now()
				logf("guard %s: %s; the runner has %s to stop", c.RunID, why, c.HaltGrace)
			}
			if time.Since(haltedAt) >= c.HaltGrace {
				return revert(ctx, c, "the runner did not stop within "+c.HaltGrace.String()+" of a halt ("+why+")", logf)
			}
		}
	}
}

func revert(ctx context.Context, c ServeConfig, reason string, logf func(string, ...any)) Outcome {
	o := Outcome{Reason: reason, LostAt: time.Now()}
	logf("guard %s: %s; reverting", c.RunID, reason)
	deadline := o.LostAt.Add(c.TTL)
	for attempt := 1; ; attempt++ {
		acts, err := engine.RecoverWith(ctx, engine.RecoverOptions{StateDir: c.StateDir,
			Journals: []string{c.Journal}, By: "guard", Holder: true})
		o.Actions = append(o.Actions, acts...)
		for _, a := range acts {
			line := fmt.Sprintf("guard %s: step %s (%s): %s", c.RunID, a.Step, a.Kind, a.Outcome)
			if a.Error != "" {
				line += ": " + a.Error
			}
			logf("%s", line)
		}
		o.Err = err
		if err == nil || time.Now().Add(100*time.Millisecond).After(deadline) || ctx.Err() != nil {
			break
		}
		logf("guard %s: attempt %d failed, retrying: %v", c.RunID, attempt, err)
		time.Sleep(50 * time.Millisecond)
	}
	o.Reverted = time.Now()
	if o.Err != nil {
		logf("guard %s: left for `faultline recover`: %v", c.RunID, o.Err)
	}
	logf("guard %s: done in %s", c.RunID, o.Reverted.Sub(o.LostAt))
	return o
}

// PIDFile is where a guard names itself while it runs, for operators and
// for `faultline recover` to tell a guarded run from an orphaned one.
func PIDFile(stateDir, runID string) string { return engine.GuardPIDFile(stateDir, runID) }

// WritePID writes the guard's pid file (pid, start time and boot, so that
// a later process given the same pid is not taken for the guard); the
// returned func removes it. Only root reads or writes it.
func WritePID(stateDir, runID string) (func(), error) {
	p := PIDFile(stateDir, runID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return func() {}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return func() {}, err
	}
	_, err = f.WriteString(procid.Self().Format())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return func() {}, err
	}
	return func() { _ = os.Remove(p) }, nil
}

// ConnFromFD turns the inherited lease descriptor into a connection.
func ConnFromFD(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "lease")
	if f == nil {
		return nil, fmt.Errorf("guard: no lease on fd %d", fd)
	}
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("guard: lease on fd %d: %w", fd, err)
	}
	return c, nil
}

package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/engine"
)

// ErrHalted marks a run refused or stopped by `faultline halt`.
var ErrHalted = errors.New("halted")

// Halt is the emergency stop in force on this machine.
type Halt struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

func (h *Halt) String() string {
	s := "halted at " + h.At.UTC().Format(time.RFC3339)
	if h.By != "" {
		s += " by " + h.By
	}
	if h.Reason != "" {
		s += ": " + h.Reason
	}
	return s
}

// Err is the error of a run refused or stopped by this halt.
func (h *Halt) Err() error {
	return fmt.Errorf("%w (%s); run `faultline unhalt` to allow runs again", ErrHalted, h)
}

// HaltPath is the halt file. It lives in the state directory, not under
// /run, so that an emergency stop survives a reboot.
func HaltPath(stateDir string) string {
	if stateDir == "" {
		stateDir = engine.DefaultStateDir
	}
	return filepath.Join(stateDir, "halt")
}

// SetHalt writes the halt file (0600, never through a symlink). Every live
// run of this state directory sees it within HaltPoll and aborts.
func SetHalt(stateDir, reason string) (*Halt, error) {
	h := &Halt{Reason: reason, At: time.Now(), By: who()}
	data, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	p := HaltPath(stateDir)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("halt: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("halt: %w", err)
	}
	_ = f.Chmod(0o600)
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("halt: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("halt: %w", err)
	}
	return h, f.Close()
}

// ClearHalt removes the halt file; it reports whether there was one.
func ClearHalt(stateDir string) (bool, error) {
	err := os.Remove(HaltPath(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("unhalt: %w", err)
	}
	return true, nil
}

// Halted returns the halt in force, or nil. Anything at the halt path
// counts as a halt, also a file it cannot read or parse: an emergency stop
// fails safe.
func Halted(stateDir string) *Halt {
	p := HaltPath(stateDir)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &Halt{Reason: fmt.Sprintf("halt file %s unreadable (%v)", p, err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	var h Halt
	if err != nil || json.Unmarshal(data, &h) != nil {
		st, _ := f.Stat()
		h = Halt{Reason: fmt.Sprintf("halt file %s is not faultline's; remove it with `faultline unhalt`", p)}
		if st != nil {
			h.At = st.ModTime()
		}
	}
	return &h
}

// HaltPoll is how often a runner and a guard look at the halt file.
const HaltPoll = 50 * time.Millisecond

// WatchHalt calls stop once, from another goroutine, when a halt appears;
// it returns when ctx ends.
func WatchHalt(ctx context.Context, stateDir string, stop func(*Halt)) {
	t := time.NewTicker(HaltPoll)
	defer t.Stop()
	for {
		if h := Halted(stateDir); h != nil {
			stop(h)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func who() string {
	name := strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if sudo := os.Getenv("SUDO_USER"); sudo != "" {
		name += " (sudo from " + sudo + ")"
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

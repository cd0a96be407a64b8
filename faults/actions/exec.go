package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// maxOutput caps the stdout/stderr an exec result carries into the journal.
const maxOutput = 4096

// maxCapture caps what is kept of each stream while the command runs: a
// command that prints without end must not grow the runner's memory.
const maxCapture = 64 << 10

// waitDelay bounds the wait for the pipes after the command was killed
// (a grandchild outside the group, or one that escaped it, may hold them).
const waitDelay = 500 * time.Millisecond

// ExecParams: exec's `with`. Command is argv (no shell); Netns runs it in
// a named network namespace; ExpectExit (default 0) is the exit status
// that counts as success.
type ExecParams struct {
	Command    []string             `json:"command" required:"true" minItems:"1" doc:"program and arguments, no shell"`
	Netns      string               `json:"netns,omitempty"`
	Timeout    experiments.Duration `json:"timeout,omitempty"`
	ExpectExit *int                 `json:"expectExit,omitempty" default:"0"`
}

type execAction struct{ p ExecParams }

func newExec(raw json.RawMessage) (faults.Action, error) {
	var p ExecParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if len(p.Command) == 0 || p.Command[0] == "" {
		return nil, errors.New("command is required (a list: program and arguments)")
	}
	return &execAction{p: p}, nil
}

func (a *execAction) Describe() string {
	s := "exec " + strings.Join(a.p.Command, " ")
	if !nsutil.IsHost(a.p.Netns) {
		s += " in netns " + a.p.Netns
	}
	return s
}

func (a *execAction) Targets() []faults.Target {
	return []faults.Target{{Kind: "process", ID: a.p.Command[0]}}
}

// Preflight checks the program and the namespace exist.
func (a *execAction) Preflight(ctx context.Context) error {
	if _, err := exec.LookPath(a.p.Command[0]); err != nil {
		return fmt.Errorf("exec: %w: %w", err, faults.ErrNotFound)
	}
	if !nsutil.IsHost(a.p.Netns) {
		h, err := nsutil.Open(a.p.Netns)
		if err != nil {
			return fmt.Errorf("exec: %w: %w", err, faults.ErrNotFound)
		}
		h.Close()
	}
	return nil
}

// Run starts the command from a thread locked inside the namespace (the
// child inherits that thread's namespace), waits for it, and reports its
// exit status, duration and output. The command leads a process group of
// its own: at the timeout or when ctx ends (an abort), the whole group is
// killed, so a child that keeps the pipes open cannot hold the run.
func (a *execAction) Run(ctx context.Context) (faults.Result, error) {
	if t := a.p.Timeout.D(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, a.p.Command[0], a.p.Command[1:]...)
	stdout, stderr := &capped{max: maxCapture}, &capped{max: maxCapture}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the leader's pid; kill it all.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = waitDelay
	t0 := time.Now()
	start := cmd.Start
	var err error
	if nsutil.IsHost(a.p.Netns) {
		err = start()
	} else {
		err = nsutil.Do(a.p.Netns, start)
	}
	if err != nil {
		return faults.Result{}, fmt.Errorf("exec %s: %w", a.p.Command[0], err)
	}
	werr := cmd.Wait()
	// The leader has exited: whatever it left behind in its group goes too
	// (a `sleep 30 &` must not outlive the step).
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	res := faults.Result{
		"exit":       cmd.ProcessState.ExitCode(),
		"durationMs": float64(time.Since(t0).Microseconds()) / 1000,
		"stdout":     stdout.text(maxOutput),
		"stderr":     stderr.text(maxOutput),
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("exec %s: %w", a.p.Command[0], ctx.Err())
	}
	want := 0
	if a.p.ExpectExit != nil {
		want = *a.p.ExpectExit
	}
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) && !errors.Is(werr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("exec %s: %w", a.p.Command[0], werr)
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		return res, fmt.Errorf("exec %s: exit status %d, want %d: %s", a.p.Command[0], code, want, stderr.text(maxOutput))
	}
	return res, nil
}

// capped keeps the first max bytes written to it and counts the rest.
type capped struct {
	max     int
	buf     []byte
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - len(c.buf); room > 0 {
		n := min(room, len(p))
		c.buf = append(c.buf, p[:n]...)
		c.dropped += len(p) - n
	} else {
		c.dropped += len(p)
	}
	return len(p), nil
}

// text is the kept output cut to limit bytes, saying so when anything was
// cut.
func (c *capped) text(limit int) string {
	s := string(c.buf)
	cut := c.dropped
	if len(s) > limit {
		cut += len(s) - limit
		s = s[:limit]
	}
	if cut > 0 {
		s += fmt.Sprintf("… (truncated, %d more bytes)", cut)
	}
	return s
}

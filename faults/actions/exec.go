package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/nsutil"
)

// maxOutput caps the stdout/stderr an exec result carries.
const maxOutput = 4096

// ExecParams: exec's `with`. Command is argv (no shell); Netns runs it in
// a named network namespace; ExpectExit (default 0) is the exit status
// that counts as success.
type ExecParams struct {
	Command    []string             `json:"command"`
	Netns      string               `json:"netns,omitempty"`
	Timeout    experiments.Duration `json:"timeout,omitempty"`
	ExpectExit *int                 `json:"expectExit,omitempty"`
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
// exit status, duration and output.
func (a *execAction) Run(ctx context.Context) (faults.Result, error) {
	if t := a.p.Timeout.D(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, a.p.Command[0], a.p.Command[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
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
	res := faults.Result{
		"exit":       cmd.ProcessState.ExitCode(),
		"durationMs": float64(time.Since(t0).Microseconds()) / 1000,
		"stdout":     truncate(stdout.String()),
		"stderr":     truncate(stderr.String()),
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("exec %s: %w", a.p.Command[0], ctx.Err())
	}
	want := 0
	if a.p.ExpectExit != nil {
		want = *a.p.ExpectExit
	}
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return res, fmt.Errorf("exec %s: %w", a.p.Command[0], werr)
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		return res, fmt.Errorf("exec %s: exit status %d, want %d: %s", a.p.Command[0], code, want, truncate(stderr.String()))
	}
	return res, nil
}

func truncate(s string) string {
	if len(s) > maxOutput {
		return s[:maxOutput] + "…"
	}
	return s
}

package probes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	Register(Kind{
		Name:   "exec",
		Doc:    "run a command (no shell); ok = exit status equals expectExit, value = the first number on stdout",
		Value:  ValueNumber,
		Params: ExecParams{},
		New:    newExec,
	})
}

// ExecParams are the parameters of an exec probe.
type ExecParams struct {
	Command    []string `json:"command" required:"true" minItems:"1" doc:"The program and its arguments."`
	ExpectExit *int     `json:"expectExit,omitempty" min:"0" max:"255" default:"0" doc:"Exit status meaning ok."`
	Timeout    Duration `json:"timeout,omitempty" doc:"Per check; default the interval."`
}

const (
	// outputLimit caps what is kept of a command's stdout and stderr.
	outputLimit = 64 << 10
	// detailLimit caps the output quoted in a failed sample's detail.
	detailLimit = 512
	// waitDelay bounds waiting for output after the command was killed
	// (a grandchild may still hold the pipes).
	waitDelay = 100 * time.Millisecond
)

// execProber runs a command (argv as given, no shell). ok = exit status
// equals expectExit; value = the first number printed on stdout (0 when
// none); detail = trimmed stderr (or stdout) when the check fails.
type execProber struct {
	command    []string
	argv       []string // command with its program resolved on PATH, at preflight or first check
	expectExit int
	timeout    time.Duration
	netns      string
}

func newExec(d Def) (Prober, error) {
	var e ExecParams
	if err := DecodeParams(d.Params, &e); err != nil {
		return nil, err
	}
	if len(e.Command) == 0 || e.Command[0] == "" {
		return nil, Errorf("command", "missing: the program and its arguments, e.g. [\"etcdctl\", \"endpoint\", \"health\"]")
	}
	expect := 0
	if e.ExpectExit != nil {
		expect = *e.ExpectExit
	}
	if expect < 0 || expect > 255 {
		return nil, Errorf("expectExit", "bad exit status %d: want 0 to 255", expect)
	}
	return &execProber{command: e.Command, expectExit: expect, timeout: Timeout(d), netns: d.Netns}, nil
}

// Preflight resolves the program on PATH: a command that is not there
// stops the run before anything is injected.
func (e *execProber) Preflight(context.Context) error {
	path, err := exec.LookPath(e.command[0])
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	e.argv = append([]string{path}, e.command[1:]...)
	return nil
}

func (e *execProber) Check(ctx context.Context) Sample {
	if e.argv == nil {
		if err := e.Preflight(ctx); err != nil {
			return Sample{Detail: err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var stdout, stderr capWriter
	cmd := exec.CommandContext(ctx, e.argv[0], e.argv[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Own process group, so a timeout kills whatever the command started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay

	start := time.Now()
	if err := e.start(ctx, cmd); err != nil {
		return Sample{Latency: time.Since(start), Detail: "start: " + err.Error()}
	}
	werr := cmd.Wait()
	s := Sample{Latency: time.Since(startedAt(ctx, start)), Value: firstNumber(stdout.buf.String())}

	code := cmd.ProcessState.ExitCode() // -1 when killed by a signal
	// The exit status decides; output still held open by a grandchild
	// (werr = exec.ErrWaitDelay) does not.
	s.OK = code == e.expectExit && ctx.Err() == nil
	if s.OK {
		return s
	}
	out := strings.TrimSpace(stderr.buf.String())
	if out == "" {
		out = strings.TrimSpace(stdout.buf.String())
	}
	why := fmt.Sprintf("exit status %d, want %d", code, e.expectExit)
	switch {
	case ctx.Err() != nil:
		why = fmt.Sprintf("timeout after %s", e.timeout)
	case werr != nil && !isExitError(werr) && code != e.expectExit:
		why = werr.Error()
	}
	if out != "" {
		why += ": " + clip(out, detailLimit)
	}
	s.Detail = why
	return s
}

// start forks the command from a thread inside the probe's namespace; the
// child inherits the thread's namespace.
func (e *execProber) start(ctx context.Context, cmd *exec.Cmd) error {
	if e.netns == "" {
		MarkStart(ctx)
		return cmd.Start()
	}
	var startErr error
	if err := inNetns(e.netns, func() error {
		MarkStart(ctx)
		startErr = cmd.Start()
		return nil
	}); err != nil {
		if startErr == nil && cmd.Process != nil {
			_ = cmd.Cancel()
			_ = cmd.Wait()
		}
		return err
	}
	return startErr
}

func isExitError(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

var numberRE = regexp.MustCompile(`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`)

// firstNumber is the first number in s, or 0 when there is none.
func firstNumber(s string) float64 {
	for _, m := range numberRE.FindAllString(s, -1) {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			return v
		}
	}
	return 0
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// capWriter keeps the first outputLimit bytes and discards the rest, so a
// chatty command cannot grow the sampler's memory.
type capWriter struct{ buf bytes.Buffer }

func (w *capWriter) Write(p []byte) (int, error) {
	if room := outputLimit - w.buf.Len(); room > 0 {
		if len(p) > room {
			w.buf.Write(p[:room])
		} else {
			w.buf.Write(p)
		}
	}
	return len(p), nil
}

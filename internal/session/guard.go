package session

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/measure"
)

// DefaultGuardTTL is safety.guardTTL when the experiment does not set it.
const DefaultGuardTTL = 3 * time.Second

// guardEnv marks the guard process, so that a program other than the
// faultline binary (a test binary) can serve as one (see GuardMain).
const guardEnv = "FAULTLINE_GUARD_CHILD"

// HaltGrace is how long a guard lets its runner stop a halted run itself
// before it reverts the run's faults for it (a hung runner).
const HaltGrace = 300 * time.Millisecond

// GuardSpec is what a guard process needs to know.
type GuardSpec struct {
	StateDir, RunID, Journal string
	TTL                      time.Duration
}

// Args are the arguments that start faultline's hidden guard command.
func (g GuardSpec) Args() []string {
	return []string{"--state-dir", g.StateDir, "guard", "--run", g.RunID,
		"--journal", g.Journal, "--ttl", g.TTL.String()}
}

// GuardTTL is the experiment's guardTTL or the default.
func GuardTTL(exp *experiments.Experiment) time.Duration {
	if d := exp.Safety.GuardTTL.D(); d > 0 {
		return d
	}
	return DefaultGuardTTL
}

// spawnGuard starts the run's guard; the lease's Ready says when it holds
// the lease. The guard inherits the target locks, so the targets stay
// locked until it has reverted them, even when the runner is gone.
func spawnGuard(ctx context.Context, c Config, g GuardSpec, logPath string, locks *engine.TargetLocks) (*guard.Lease, error) {
	exe := c.GuardExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	return guard.Spawn(ctx, guard.StartConfig{Exe: exe, Args: g.Args(), TTL: g.TTL,
		LogPath: logPath, Files: locks.Files(), Env: append(os.Environ(), guardEnv+"=1")})
}

// ServeGuard is the body of the guard process: it holds the lease on the
// inherited descriptor and reverts the run when its runner dies, hangs,
// or does not stop itself within HaltGrace of a halt.
func ServeGuard(ctx context.Context, g GuardSpec, log io.Writer) error {
	// A terminal's hang-up or ^C is for the runner; the guard outlives it.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	measure.Stage("guard main")
	conn, err := guard.ConnFromFD(guard.LeaseFD)
	if err != nil {
		return err
	}
	unpid, err := guard.WritePID(g.StateDir, g.RunID)
	if err != nil {
		fmt.Fprintln(log, "guard: pid file:", err)
	}
	defer unpid()
	o := guard.Serve(ctx, conn, guard.ServeConfig{StateDir: g.StateDir, RunID: g.RunID,
		Journal: g.Journal, TTL: g.TTL, Log: log, HaltGrace: HaltGrace,
		Halted: func() (string, bool) {
			if h := Halted(g.StateDir); h != nil {
				return h.String(), true
			}
			return "", false
		}})
	return o.Err
}

// GuardMain serves as a guard when this process was started as one by
// Run and returns (exit code, true); otherwise (0, false). The faultline
// binary serves through its hidden guard command; a test binary that runs
// sessions calls GuardMain first thing in TestMain.
func GuardMain() (int, bool) {
	if os.Getenv(guardEnv) == "" {
		return 0, false
	}
	fs := flag.NewFlagSet("guard", flag.ContinueOnError)
	var g GuardSpec
	fs.StringVar(&g.StateDir, "state-dir", "", "")
	fs.StringVar(&g.RunID, "run", "", "")
	fs.StringVar(&g.Journal, "journal", "", "")
	fs.DurationVar(&g.TTL, "ttl", DefaultGuardTTL, "")
	var args []string
	for _, a := range os.Args[1:] {
		if a != "guard" {
			args = append(args, a)
		}
	}
	if err := fs.Parse(args); err != nil || g.RunID == "" || g.Journal == "" {
		fmt.Fprintln(os.Stderr, "guard: bad arguments:", errors.Join(err, errors.New(fmt.Sprint(os.Args[1:]))))
		return exitcode.Invalid, true
	}
	if err := ServeGuard(context.Background(), g, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "guard:", err)
		return exitcode.Infra, true
	}
	return 0, true
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/guard"
	"github.com/faultline/faultline/internal/exitcode"
)

// defaultGuardTTL is safety.guardTTL when the experiment does not set it.
const defaultGuardTTL = 3 * time.Second

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:   "guard",
		Usage:  "(started by run) hold a run's lease; revert its faults if the runner dies",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "run", Required: true},
			&cli.StringFlag{Name: "journal", Required: true},
			&cli.DurationFlag{Name: "ttl", Value: defaultGuardTTL},
		},
		Action: guardCmd,
	})
}

func guardCmd(c *cli.Context) error {
	// A terminal's hang-up or ^C is for the runner; the guard outlives it.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	conn, err := guard.ConnFromFD(guard.LeaseFD)
	if err != nil {
		return cli.Exit(err.Error(), exitcode.Invalid)
	}
	state, run := c.String("state-dir"), c.String("run")
	unpid, err := guard.WritePID(state, run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "guard: pid file:", err)
	}
	defer unpid()
	o := guard.Serve(context.Background(), conn, guard.ServeConfig{StateDir: state, RunID: run,
		Journal: c.String("journal"), TTL: c.Duration("ttl"), Log: os.Stderr})
	if o.Err != nil {
		return cli.Exit("guard: "+o.Err.Error(), exitcode.Infra)
	}
	return nil
}

// startGuard starts the run's guard and waits until it holds the lease.
// The guard inherits the target locks, so the targets stay locked until it
// has reverted them, even when the runner is gone.
func startGuard(c *cli.Context, exp *experiments.Experiment, runID, journalPath, logPath string, locks *engine.TargetLocks) (*guard.Lease, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ttl := guardTTL(exp)
	args := []string{"--state-dir", c.String("state-dir"), "guard", "--run", runID,
		"--journal", journalPath, "--ttl", ttl.String()}
	return guard.Start(c.Context, guard.StartConfig{Exe: exe, Args: args, TTL: ttl,
		LogPath: logPath, Files: locks.Files()})
}

func guardTTL(exp *experiments.Experiment) time.Duration {
	if d := exp.Safety.GuardTTL.D(); d > 0 {
		return d
	}
	return defaultGuardTTL
}

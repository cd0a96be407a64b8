package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/guard"
	"github.com/faultline/faultline/internal/agent"
)

func init() { extraCommands = append(extraCommands, agentCommand()) }

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "(started by the controller over SSH) serve one remote run on stdin/stdout",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stdio", Usage: "speak the wire protocol on stdin and stdout (the only mode)"},
		},
		Action: agentCmd,
	}
}

func agentCmd(c *cli.Context) error {
	if !c.Bool("stdio") {
		return invalid(errors.New("agent: only --stdio is supported; faultline never listens on a socket"))
	}
	// The controller's end is the lease: a hang-up or a ^C meant for a
	// terminal is not ours; the stream's end is.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM)
	defer stop()
	state := c.String("state-dir")
	logPath := filepath.Join(state, agent.StateSubdir, "agent.log")
	_ = os.MkdirAll(filepath.Dir(logPath), 0o700)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		logf = os.Stderr
	} else {
		defer logf.Close()
	}
	o := agent.Serve(ctx, os.Stdin, os.Stdout, agent.Options{StateDir: state, Version: version, Log: logf,
		StartGuard: func(ctx context.Context, run, journal string, ttl time.Duration) (*guard.Lease, error) {
			exe, err := os.Executable()
			if err != nil {
				return nil, err
			}
			args := []string{"--state-dir", state, "guard", "--run", "agent-" + run, "--journal", journal, "--ttl", ttl.String()}
			return guard.Start(ctx, guard.StartConfig{Exe: exe, Args: args, TTL: ttl,
				LogPath: filepath.Join(filepath.Dir(journal), "guard.log")})
		}})
	fmt.Fprintf(logf, "agent: session ended: %s (%d reverted)\n", o.Reason, o.Reverted)
	if o.Err != nil {
		return cli.Exit("agent: "+o.Err.Error(), engine.ExitInfra)
	}
	return nil
}

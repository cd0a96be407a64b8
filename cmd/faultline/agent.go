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
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/agent"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/sshx"
)

func init() { extraCommands = append(extraCommands, agentCommand()) }

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:   "agent",
		Usage:  "(started by the controller over SSH) serve one remote run on stdin/stdout",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stdio", Usage: "speak the wire protocol on stdin and stdout (the only mode)"},
			&cli.StringFlag{Name: "sha256", Usage: "refuse to run unless this executable hashes to this (set by the controller)"},
		},
		Action: agentCmd,
	}
}

func agentCmd(c *cli.Context) error {
	if !c.Bool("stdio") {
		return invalid(errors.New("agent: only --stdio is supported; faultline never listens on a socket"))
	}
	// Before anything else: the copy the controller installed is the one
	// running (it did not read it back).
	if want := c.String("sha256"); want != "" {
		if err := sshx.VerifyExecutable(want); err != nil {
			return cli.Exit("agent: "+err.Error(), sshx.ExitBadBinary)
		}
	}
	// Without `netns:` a fault acts where the SSH server put this
	// process, never in PID 1's namespace; the host guard agrees.
	if err := nsutil.HostIsSelf(); err != nil {
		return cli.Exit("agent: "+err.Error(), exitcode.Infra)
	}
	_ = os.Setenv(nsutil.HostSelfEnv, "self")
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
	frames, err := privateStdout()
	if err != nil {
		return cli.Exit("agent: "+err.Error(), exitcode.Infra)
	}
	defer frames.Close()
	o := agent.Serve(ctx, os.Stdin, frames, agent.Options{StateDir: state, Version: version, Log: logf,
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
		return cli.Exit("agent: "+o.Err.Error(), exitcode.Infra)
	}
	return nil
}

// privateStdout keeps stdout for frames alone: the descriptor is moved
// to a private one and fd 1 is pointed at stderr, so a stray print from
// any library cannot corrupt the stream.
func privateStdout() (*os.File, error) {
	fd, err := unix.FcntlInt(1, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("stdout: %w", err)
	}
	if err := unix.Dup3(2, 1, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stdout: %w", err)
	}
	return os.NewFile(uintptr(fd), "frames"), nil
}

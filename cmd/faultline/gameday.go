package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments/gameday"
	"github.com/faultline/faultline/internal/exitcode"
)

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:  "gameday",
		Usage: "run a suite of experiments as a game day, once or on a schedule",
		Subcommands: []*cli.Command{
			{Name: "run", Usage: "run a game day once; exit code: the worst of its experiments (4 > 2 > 3 > 1 > 0)",
				ArgsUsage: "FILE", Action: gamedayRunCmd,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Usage: "directory for index.html, summary.md, junit.xml and one directory per experiment (default ./faultline-gamedays/RUN)"},
					&cli.BoolFlag{Name: "no-notify", Usage: "do not post the summary to the webhook"},
				}},
			{Name: "serve", Usage: "run a game day on its schedule; serve its history, /metrics and /healthz",
				ArgsUsage: "FILE", Action: gamedayServeCmd,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "listen", Value: "127.0.0.1:9469", Usage: "HTTP address for /, /metrics and /healthz"},
					&cli.StringFlag{Name: "history", Value: "/var/lib/faultline/gamedays", Usage: "directory that keeps every run"},
				}},
			{Name: "validate", Usage: "check a game-day file and every experiment it names; nothing runs", ArgsUsage: "FILE",
				Action: func(c *cli.Context) error {
					gd, err := loadGameDay(c)
					if err != nil {
						return err
					}
					fmt.Printf("%s: valid, %d experiments, window %s\n", gd.Path, len(gd.Experiments), gd.Window)
					return nil
				}},
		},
	})
}

func loadGameDay(c *cli.Context) (*gameday.GameDay, error) {
	args := c.Args().Slice()
	if len(args) != 1 {
		return nil, invalid(fmt.Errorf("gameday %s: name exactly one game-day file", c.Command.Name))
	}
	gd, err := gameday.Load(args[0])
	if err != nil {
		return nil, invalid(err)
	}
	return gd, nil
}

func gamedayLogger() func(string, ...any) {
	l := log.New(os.Stderr, "", log.LstdFlags)
	return func(format string, args ...any) { l.Printf(format, args...) }
}

func gamedayRunCmd(c *cli.Context) error {
	gd, err := loadGameDay(c)
	if err != nil {
		return err
	}
	runID := gameday.NewRunID(gd.File.Name)
	out := c.String("out")
	if out == "" {
		out = filepath.Join("faultline-gamedays", runID)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := gamedayLogger()
	sum := gameday.Run(ctx, gd, gameday.Options{OutDir: out, RunID: runID, StateDir: c.String("state-dir"),
		Version: version, Logf: logf})
	if !c.Bool("no-notify") {
		gameday.NotifySummary(c.Context, gd, sum, gameday.Notifier{Logf: logf})
	}
	fmt.Println(sum.Headline())
	for i, e := range sum.Experiments {
		detail := e.Headline
		if detail == "" {
			detail = e.Error
		}
		fmt.Printf("  %2d %-24s %-8s exit %d  %s\n", i+1, e.Name, e.Status, e.Exit, detail)
	}
	fmt.Printf("reports in %s (index.html, summary.md, junit.xml)\n", out)
	if sum.Exit == exitcode.Infra {
		return cli.Exit("infrastructure error; run `faultline recover`", sum.Exit)
	}
	if sum.Exit != 0 {
		return cli.Exit("", sum.Exit)
	}
	return nil
}

func gamedayServeCmd(c *cli.Context) error {
	gd, err := loadGameDay(c)
	if err != nil {
		return err
	}
	history := c.String("history")
	if err := os.MkdirAll(history, 0o755); err != nil {
		return cli.Exit(err.Error(), exitcode.Infra)
	}
	srv, err := gameday.NewServer(gd, gameday.ServeOptions{HistoryDir: history, StateDir: c.String("state-dir"),
		Version: version, Logf: gamedayLogger()})
	if err != nil {
		return invalid(err)
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return invalid(fmt.Errorf("gameday serve: %w", err))
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, net.ErrClosed) {
		return cli.Exit("gameday serve: "+err.Error(), exitcode.Infra)
	}
	return nil
}

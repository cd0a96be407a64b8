package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/session"
)

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:   "guard",
		Usage:  "(started by run) hold a run's lease; revert its faults if the runner dies, hangs or is halted",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "run", Required: true},
			&cli.StringFlag{Name: "journal", Required: true},
			&cli.DurationFlag{Name: "ttl", Value: session.DefaultGuardTTL},
		},
		Action: guardCmd,
	})
}

func guardCmd(c *cli.Context) error {
	g := session.GuardSpec{StateDir: c.String("state-dir"), RunID: c.String("run"),
		Journal: c.String("journal"), TTL: c.Duration("ttl")}
	if err := session.ServeGuard(context.Background(), g, os.Stderr); err != nil {
		return cli.Exit("guard: "+err.Error(), exitcode.Infra)
	}
	return nil
}

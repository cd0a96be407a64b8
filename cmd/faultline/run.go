package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/session"

	// libvirt.so is loaded when a run first uses libvirt, not at start-up
	// (of every run, and of its guard).
	_ "github.com/faultline/faultline/internal/lazyvirt"
)

func runCmd(c *cli.Context) error {
	measure.Stage("command")
	if c.NArg() != 1 {
		return invalid(errors.New("run: name exactly one experiment file"))
	}
	exp, err := experiments.Load(c.Args().First())
	if err != nil {
		return invalid(err)
	}
	runID := session.NewRunID(exp.Name)
	// The file is read and checked once: planOf takes the experiment.
	plan, err := planOf(c, exp, runID)
	if err != nil {
		return err
	}
	defer closeHosts(plan.Hosts)
	return runSession(c, plan, runID, c.String("out"), nil)
}

// runSession runs a plan through the one run session and prints its
// verdicts; before, when set, prints what the run is about to do.
func runSession(c *cli.Context, plan *engine.Plan, runID, out string, before func()) error {
	if out == "" {
		out = filepath.Join("faultline-runs", runID)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newProgress(os.Stdout, !c.Bool("no-progress") && isTerminal(os.Stdout), plan)
	if before != nil {
		before()
	}
	view.Start()
	o := session.Run(ctx, plan, session.Config{OutDir: out, StateDir: c.String("state-dir"), RunID: runID,
		Observer: view, Version: version})
	view.Stop()
	if o.Report == nil {
		msg := "nothing was run"
		if o.Err != nil {
			msg = o.Err.Error()
		}
		return cli.Exit(msg, o.Exit)
	}
	if o.Err != nil && o.Exit != exitcode.Infra {
		fmt.Fprintln(os.Stderr, "faultline:", o.Err)
	}
	printVerdicts(os.Stdout, o.Report)
	printHostClocks(plan)
	fmt.Printf("reports in %s\n", out)
	if o.Halt != nil {
		fmt.Printf("stopped by the emergency stop: %s\n", o.Halt)
	}
	if o.Exit == exitcode.Infra {
		return cli.Exit(fmt.Sprintf("infrastructure error: %v; run `faultline recover`", o.Err), o.Exit)
	}
	if o.Exit != 0 {
		return cli.Exit("", o.Exit)
	}
	return nil
}

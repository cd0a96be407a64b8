package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/reports"
)

func runCmd(c *cli.Context) error {
	if c.NArg() != 1 {
		return invalid(errors.New("run: name exactly one experiment file"))
	}
	exp, err := experiments.Load(c.Args().First())
	if err != nil {
		return invalid(err)
	}
	runID := engine.NewRunID(exp.Name)
	plan, err := loadPlan(c, runID)
	if err != nil {
		return err
	}
	state := c.String("state-dir")
	// Two runs never fight over one target: the second stops here, naming the first.
	locks, err := engine.LockTargets(state, runID, plan.Targets)
	if err != nil {
		return invalid(err)
	}
	defer locks.Release()
	out := c.String("out")
	if out == "" {
		out = filepath.Join("faultline-runs", runID)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Exit(err.Error(), engine.ExitInfra)
	}
	jpath, err := filepath.Abs(filepath.Join(out, "journal.jsonl"))
	if err != nil {
		return cli.Exit(err.Error(), engine.ExitInfra)
	}
	// No fault lands before the guard holds its lease.
	lease, err := startGuard(c, plan.Exp, runID, jpath, filepath.Join(out, "guard.log"), locks)
	if err != nil {
		return cli.Exit(fmt.Sprintf("%v; nothing was injected", err), engine.ExitInfra)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newProgress(os.Stdout, !c.Bool("no-progress") && isTerminal(os.Stdout), plan)
	view.Start()
	res := engine.Run(ctx, plan, engine.Options{OutDir: out, StateDir: state, RunID: runID,
		Observer: view, Version: version, Heartbeat: lease.Check, GuardLost: lease.Lost()})
	view.Stop()
	if err := lease.Release(5 * time.Second); err != nil && res.Err == nil {
		fmt.Fprintln(os.Stderr, "faultline: guard:", err)
	}
	if res.Journal == nil {
		if res.Exit == engine.ExitInvalid {
			return invalid(res.Err)
		}
		return cli.Exit(fmt.Sprintf("run failed before its journal was complete: %v", res.Err), engine.ExitInfra)
	}
	rep := reports.Build(res.Journal)
	if err := writeReports(out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "faultline: writing reports:", err)
	}
	printVerdicts(os.Stdout, rep)
	fmt.Printf("reports in %s\n", out)
	if res.Exit == engine.ExitInfra {
		return cli.Exit(fmt.Sprintf("infrastructure error: %v; run `faultline recover`", res.Err), res.Exit)
	}
	if res.Exit != 0 {
		return cli.Exit("", res.Exit)
	}
	return nil
}

func writeReports(dir string, rep *reports.Report) error {
	_, err := reports.WriteFiles(dir, rep, nil)
	return err
}

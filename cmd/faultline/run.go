package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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
	out := c.String("out")
	if out == "" {
		out = filepath.Join("faultline-runs", runID)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Exit(err.Error(), engine.ExitInfra)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newProgress(os.Stdout, !c.Bool("no-progress") && isTerminal(os.Stdout), plan)
	view.Start()
	res := engine.Run(ctx, plan, engine.Options{OutDir: out, StateDir: c.String("state-dir"), RunID: runID,
		Observer: view, Version: version})
	view.Stop()
	if res.Journal == nil {
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
	write := func(name string, fn func(f *os.File) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return errors.Join(
		write("report.json", func(f *os.File) error { return reports.WriteJSON(f, rep) }),
		write("junit.xml", func(f *os.File) error { return reports.WriteJUnit(f, "faultline", rep) }),
		write("summary.md", func(f *os.File) error { return reports.WriteMarkdown(f, rep) }),
	)
}

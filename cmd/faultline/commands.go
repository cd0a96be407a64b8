package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/measure"

	// Fault, action and probe kinds register themselves.
	_ "github.com/faultline/faultline/faults/actions"
	_ "github.com/faultline/faultline/faults/bmcfault"
	_ "github.com/faultline/faultline/faults/netfault"
	_ "github.com/faultline/faultline/faults/procfault"
	_ "github.com/faultline/faultline/faults/virtfault"
)

func commands() []*cli.Command {
	cmds := []*cli.Command{
		{Name: "validate", Usage: "check experiment files; nothing is injected", ArgsUsage: "FILE...", Action: validateCmd},
		{Name: "plan", Usage: "dry run: resolve targets, preflight, print what will be touched and when", ArgsUsage: "FILE", Action: planCmd},
		{Name: "run", Usage: "run an experiment and give its verdict", ArgsUsage: "FILE", Action: runCmd,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Usage: "directory for journal.jsonl, report.json, junit.xml, summary.md (default ./faultline-runs/RUN)"},
				&cli.BoolFlag{Name: "no-progress", Usage: "plain event lines even on a terminal"},
			}},
		{Name: "report", Usage: "render a run's journal", ArgsUsage: "JOURNAL", Action: reportCmd,
			Flags: reportFlags()},
		{Name: "recover", Usage: "revert every open undo record under the state directory (idempotent)", ArgsUsage: "[JOURNAL...]", Action: recoverCmd,
			Flags: []cli.Flag{&cli.BoolFlag{Name: "dry-run", Usage: "show what would be reverted"}}},
		{Name: "schema", Usage: "print the JSON Schema of the experiment format", Action: func(c *cli.Context) error {
			_, err := os.Stdout.Write(experiments.Schema())
			return err
		}},
		kindsCommand(),
	}
	cmds = append(cmds, labCommand())
	return append(cmds, extraCommands...)
}

// extraCommands lets other files of this package add commands from init().
var extraCommands []*cli.Command

func invalid(err error) error { return cli.Exit(err.Error(), exitcode.Invalid) }

func validateCmd(c *cli.Context) error {
	if c.NArg() == 0 {
		return invalid(errors.New("validate: name at least one experiment file"))
	}
	var bad []string
	for _, f := range c.Args().Slice() {
		if _, err := experiments.Load(f); err != nil {
			bad = append(bad, err.Error())
			continue
		}
		fmt.Printf("%s: valid\n", f)
	}
	if len(bad) > 0 {
		return invalid(errors.New(strings.Join(bad, "\n")))
	}
	return nil
}

func loadPlan(c *cli.Context, runID string) (*engine.Plan, error) {
	if c.NArg() != 1 {
		return nil, invalid(fmt.Errorf("%s: name exactly one experiment file", c.Command.Name))
	}
	exp, err := experiments.Load(c.Args().First())
	if err != nil {
		return nil, invalid(err)
	}
	return planOf(c, exp, runID)
}

// planOf plans a loaded experiment and preflights it.
func planOf(c *cli.Context, exp *experiments.Experiment, runID string) (*engine.Plan, error) {
	measure.Stage("experiment loaded")
	hosts, err := connectHosts(c, exp, runID)
	if err != nil {
		return nil, invalid(err)
	}
	plan, err := engine.NewPlanOn(c.Context, exp, runID, hosts)
	if err != nil {
		closeHosts(hosts)
		return nil, invalid(err)
	}
	if err := preflight(c, plan); err != nil {
		closeHosts(hosts)
		return nil, err
	}
	measure.Stage("preflight passed")
	return plan, nil
}

// preflight checks a plan without changing anything and prints its warnings.
func preflight(c *cli.Context, plan *engine.Plan) error {
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
	defer cancel()
	if err := plan.Preflight(ctx); err != nil {
		return invalid(err)
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return nil
}

func planCmd(c *cli.Context) error {
	plan, err := loadPlan(c, "plan")
	if err != nil {
		return err
	}
	defer closeHosts(plan.Hosts)
	exp := plan.Exp
	fmt.Printf("experiment %s (%s): preflight passed, nothing injected\n", exp.Name, exp.File)
	fmt.Printf("probes:\n")
	for _, p := range plan.Probes {
		ns := ""
		if p.Def.Netns != "" {
			ns = " in netns " + p.Def.Netns
		}
		if p.Host != "" {
			ns += " on host " + p.Host
		}
		fmt.Printf("  %-16s %-8s every %s, timeout %s%s\n", p.Name, p.Def.Kind, p.Every, p.Timeout, ns)
	}
	fmt.Printf("steps (times from the method start, if every step starts on time):\n")
	sched := plan.Schedule()
	for i, s := range plan.Steps {
		hold := "held to the end"
		if d := s.Step.Duration.D(); d > 0 {
			hold = "for " + d.String()
		}
		if s.Action != nil {
			hold = "action"
		} else if !s.Step.RevertAuto() {
			hold += ", revert: never"
		}
		fmt.Printf("  T+%-8s %-16s %s (%s)\n", sched[i], s.Step.Name, s.Describe(), hold)
		for _, t := range s.Targets() {
			fmt.Printf("             touches %s\n", t)
		}
	}
	fmt.Printf("observe %s after the last step\n", exp.Observe.D())
	limit := "no limit"
	if exp.Safety.MaxTargets > 0 {
		limit = fmt.Sprintf("limit %d", exp.Safety.MaxTargets)
	}
	fmt.Printf("blast radius: %d targets (%s)\n", len(plan.Targets), limit)
	printHosts(plan)
	return nil
}

func recoverCmd(c *cli.Context) error {
	dry := c.Bool("dry-run")
	if dry {
		fmt.Println("dry run: nothing is changed")
	}
	acts, err := engine.Recover(c.Context, c.String("state-dir"), c.Args().Slice(), dry)
	for _, a := range acts {
		line := fmt.Sprintf("%s: step %s (%s): %s", a.Run, a.Step, a.Kind, a.Outcome)
		switch {
		case a.Run == "":
			line = fmt.Sprintf("%s: %s", a.Journal, a.Outcome)
		case a.Step == "":
			line = fmt.Sprintf("run %s: %s", a.Run, a.Outcome)
		}
		if a.Error != "" {
			line += ": " + a.Error
		}
		fmt.Println(line)
	}
	if len(acts) == 0 {
		fmt.Println("nothing to recover")
	}
	if err != nil {
		return cli.Exit("recover: "+err.Error(), exitcode.Infra)
	}
	return nil
}

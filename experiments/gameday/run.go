package gameday

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/session"
	"github.com/faultline/faultline/reports"
)

// Options of one game day.
type Options struct {
	// OutDir receives index.html, summary.md, summary.json, junit.xml and
	// one directory per experiment.
	OutDir   string
	StateDir string
	Version  string
	// Logf receives progress lines (nil: silent).
	Logf func(format string, args ...any)
	// Now is the clock the window is checked against (default time.Now).
	Now func() time.Time
	// SteadyGrace is passed to every run (engine default when 0).
	SteadyGrace time.Duration
	// RunID names the game-day run (default NewRunID).
	RunID string
	// Observer, when set, makes an observer for each experiment's run.
	Observer func(exp *experiments.Experiment, plan *engine.Plan) engine.Observer
	// GuardExe is the program started as each run's guard (see
	// session.Config; default: this executable).
	GuardExe string
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// NewRunID names one game-day run the way every run is named.
func NewRunID(name string) string { return session.NewRunID(name) }

// Run runs the game day once: each experiment in order, in its own
// directory, then the index. Cancelling ctx aborts the experiment in
// progress (the engine reverts everything) and skips the rest. The
// summary's Exit is the worst exit code of the experiments (see Worst).
func Run(ctx context.Context, gd *GameDay, opts Options) *Summary {
	host, _ := os.Hostname()
	runID := opts.RunID
	if runID == "" {
		runID = NewRunID(gd.File.Name)
	}
	s := &Summary{GameDay: gd.File.Name, File: gd.Path, Run: runID, Started: time.Now(),
		Window: gd.Window.String(), Host: host}
	defer func() {
		s.Finished = time.Now()
		s.Duration = s.Finished.Sub(s.Started).Seconds()
		if err := WriteIndex(opts.OutDir, s); err != nil {
			opts.logf("game day %s: writing the index: %v", s.GameDay, err)
		}
	}()
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		s.Status, s.Exit, s.Message = StatusError, exitcode.Infra, err.Error()
		return s
	}
	if now := opts.now(); !gd.Window.Contains(now) {
		s.Status, s.Exit = StatusRefused, exitcode.Aborted
		s.Message = fmt.Sprintf("outside the window (%s) at %s: nothing was run", gd.Window, now.In(gd.Window.Loc).Format("Mon 15:04 MST"))
		for _, exp := range gd.Experiments {
			s.Experiments = append(s.Experiments, ExperimentResult{Name: exp.Name, File: exp.File,
				Status: StatusSkipped, Exit: exitcode.Aborted, Error: "outside the window"})
		}
		opts.logf("game day %s: %s", s.GameDay, s.Message)
		return s
	}
	opts.logf("game day %s: %d experiments, output in %s", s.GameDay, len(gd.Experiments), opts.OutDir)
	stop := "" // why the remaining experiments are skipped
	for i, exp := range gd.Experiments {
		if stop == "" && ctx.Err() != nil {
			stop = "interrupted by signal"
		}
		if stop == "" && i > 0 && !gd.Window.Contains(opts.now()) {
			stop = "the window closed"
		}
		if h := session.Halted(opts.StateDir); stop == "" && h != nil {
			stop = h.String()
		}
		if stop != "" {
			exit := exitcode.Aborted
			if stop == "stopOnFailure" {
				exit = exitcode.Passed // the failure that stopped it already counts
			}
			s.Experiments = append(s.Experiments, ExperimentResult{Name: exp.Name, File: exp.File,
				Status: StatusSkipped, Exit: exit, Error: "not run: " + stop})
			opts.logf("game day %s: %s skipped: %s", s.GameDay, exp.Name, stop)
			continue
		}
		if i > 0 && gd.File.Cooldown > 0 {
			opts.logf("game day %s: cooldown %s", s.GameDay, gd.File.Cooldown)
			if !sleepCtx(ctx, gd.File.Cooldown.D()) {
				stop = "interrupted by signal"
				s.Experiments = append(s.Experiments, ExperimentResult{Name: exp.Name, File: exp.File,
					Status: StatusSkipped, Exit: exitcode.Aborted, Error: "not run: " + stop})
				continue
			}
		}
		er, rep := runOne(ctx, gd, exp, fmt.Sprintf("%02d-%s", i+1, exp.Name), opts)
		s.Experiments = append(s.Experiments, er)
		if rep != nil {
			s.Reports = append(s.Reports, rep)
		}
		opts.logf("game day %s: %s: %s (exit %d)", s.GameDay, exp.Name, er.Status, er.Exit)
		if er.Exit != exitcode.Passed && gd.File.StopOnFailure {
			stop = "stopOnFailure"
		}
	}
	codes := make([]int, 0, len(s.Experiments))
	for _, e := range s.Experiments {
		codes = append(codes, e.Exit)
	}
	s.Exit = Worst(codes...)
	s.Status = statusOf(s.Exit)
	if ctx.Err() != nil {
		s.Message = "interrupted by signal: the experiment in progress was reverted, the rest skipped"
	} else if h := session.Halted(opts.StateDir); h != nil {
		s.Message = h.String() + ": the experiment in progress was reverted, the rest skipped; `faultline unhalt` allows runs again"
	}
	return s
}

func statusOf(exit int) string {
	switch exit {
	case exitcode.Passed:
		return StatusPassed
	case exitcode.Failed:
		return StatusFailed
	case exitcode.Aborted:
		return StatusAborted
	case exitcode.Invalid:
		return StatusInvalid
	}
	return StatusError
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// runOne plans, preflights, gates and runs one experiment in OutDir/dir.
func runOne(ctx context.Context, gd *GameDay, exp *experiments.Experiment, dir string, opts Options) (er ExperimentResult, _ *reports.Report) {
	er = ExperimentResult{Name: exp.Name, File: exp.File, Dir: dir, Started: time.Now()}
	defer func() { er.Duration = time.Since(er.Started).Seconds() }() // named result: the defer sets what is returned
	out := filepath.Join(opts.OutDir, dir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		er.Status, er.Exit, er.Error = StatusError, exitcode.Infra, err.Error()
		return er, nil
	}
	runID := engine.NewRunID(exp.Name)
	er.Run = runID
	// Steps and probes with `on:` run through their hosts' agents.
	ho := engine.DefaultHosts
	ho.RunID, ho.GuardTTL = runID, exp.Safety.GuardTTL.D()
	if opts.Version != "" {
		ho.Version = opts.Version
	}
	hosts, err := engine.ConnectHosts(ctx, exp, ho)
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = hosts.Close(cctx)
	}()
	var plan *engine.Plan
	if err == nil {
		plan, err = engine.NewPlanOn(ctx, exp, runID, hosts)
	}
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = plan.Preflight(pctx)
		cancel()
	}
	if err != nil {
		er.Status, er.Exit, er.Error = StatusInvalid, exitcode.Invalid, err.Error()
		return er, nil
	}
	if len(gd.File.Requires) > 0 {
		opts.logf("game day %s: %s: checking requires", gd.File.Name, exp.Name)
		if err := checkRequires(ctx, gd.File.Requires); err != nil {
			er.Status, er.Exit, er.Error = StatusRefused, exitcode.Aborted, "requires: "+err.Error()+"; nothing was injected"
			return er, nil
		}
	}
	cfg := session.Config{OutDir: out, StateDir: opts.StateDir, RunID: runID, Version: opts.Version,
		SteadyGrace: opts.SteadyGrace, GuardExe: opts.GuardExe}
	if opts.Observer != nil {
		cfg.Observer = opts.Observer(exp, plan)
	}
	opts.logf("game day %s: %s: running (%s)", gd.File.Name, exp.Name, out)
	o := session.Run(ctx, plan, cfg)
	er.Status, er.Exit, er.Files = o.Status, o.Exit, o.Files
	if o.Err != nil {
		er.Error = o.Err.Error()
	}
	rep := o.Report
	if rep == nil {
		if o.Status == "" {
			er.Status = StatusError
		}
		return er, nil
	}
	er.Headline = rep.Headline()
	er.Verdicts = rep.Verdicts
	for _, p := range rep.Probes {
		p.Outages = nil // the report lists them; the summary stays small
		er.Probes = append(er.Probes, p)
	}
	return er, rep
}

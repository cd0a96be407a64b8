package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/guard"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/reports"
)

// Config of one run session.
type Config struct {
	// StateDir holds the halt file, target locks and active runs.
	StateDir string
	// OutDir receives the journal, the guard's log and the reports. It
	// must not hold a journal already.
	OutDir string
	// RunID names the run (default NewRunID of the experiment's name).
	RunID       string
	Version     string
	Observer    engine.Observer
	SteadyGrace time.Duration
	// GuardExe is the program started as the guard (default: this
	// executable, which must be faultline or call GuardMain).
	GuardExe string
}

// StatusRefused is the status of a run that did not start (halted).
const StatusRefused = "refused"

// Outcome of a session.
type Outcome struct {
	RunID  string
	OutDir string
	// Status and Exit are the journal's (StatusRefused and exit 3 for a
	// run refused by a halt, nothing injected).
	Status string
	Exit   int
	Err    error
	// Result is the engine's; Report is nil when no journal was complete.
	Result *engine.Result
	Report *reports.Report
	// Files are the reports written into OutDir.
	Files []string
	// Halt stopped or refused the run, when set.
	Halt *Halt
}

// NewRunID names a run: the name, a UTC timestamp and a random suffix.
func NewRunID(name string) string { return engine.NewRunID(name) }

func refuse(o *Outcome, exit int, status string, err error) *Outcome {
	o.Exit, o.Status, o.Err = exit, status, err
	return o
}

// Run runs a planned (and preflighted) experiment as one session: halt
// check, target locks, guard, engine run under the halt watch, guard
// release, reports. Cancelling ctx aborts the run (everything reverted).
func Run(ctx context.Context, plan *engine.Plan, c Config) *Outcome {
	if c.RunID == "" {
		c.RunID = NewRunID(plan.Exp.Name)
	}
	o := &Outcome{RunID: c.RunID, OutDir: c.OutDir}
	if h := Halted(c.StateDir); h != nil {
		o.Halt = h
		return refuse(o, exitcode.Aborted, StatusRefused, fmt.Errorf("%w; nothing was injected", h.Err()))
	}
	if c.OutDir == "" {
		return refuse(o, exitcode.Invalid, journal.StatusInvalid, errors.New("session: no output directory"))
	}
	jpath, err := filepath.Abs(filepath.Join(c.OutDir, "journal.jsonl"))
	if err != nil {
		return refuse(o, exitcode.Infra, journal.StatusError, err)
	}
	if _, err := os.Lstat(jpath); err == nil {
		return refuse(o, exitcode.Invalid, journal.StatusInvalid,
			fmt.Errorf("%s already holds a run's journal; choose another output directory", c.OutDir))
	}
	// Two runs never fight over one target: the second stops here, naming the first.
	measure.Stage("session")
	locks, err := engine.LockTargets(c.StateDir, c.RunID, plan.Targets)
	if err != nil {
		return refuse(o, exitcode.Invalid, journal.StatusInvalid, err)
	}
	defer locks.Release()
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return refuse(o, exitcode.Infra, journal.StatusError, err)
	}
	// The guard is spawned while the run opens its journal; the run's first
	// undo record waits until the guard process exists (Armed), not until
	// it has come up: once spawned it holds its end of the lease, and
	// whenever it runs it reverts what the journal holds if the runner is
	// gone by then. A guard that does not come up is a lost lease and
	// aborts the run, reverted by the runner.
	g := GuardSpec{StateDir: c.StateDir, RunID: c.RunID, Journal: jpath, TTL: GuardTTL(plan.Exp)}
	lease := spawnBeside(func() (*guard.Lease, error) {
		l, err := spawnGuard(ctx, c, g, filepath.Join(c.OutDir, "guard.log"), locks)
		measure.Stage("guard spawned")
		return l, err
	})
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		WatchHalt(watchCtx, c.StateDir, func(h *Halt) {
			o.Halt = h
			cancel(h.Err())
		})
	}()
	res := engine.Run(rctx, plan, engine.Options{OutDir: c.OutDir, StateDir: c.StateDir, RunID: c.RunID,
		Observer: c.Observer, Version: c.Version, SteadyGrace: c.SteadyGrace,
		Armed: lease.Armed, Heartbeat: lease.Check, GuardLost: lease.Lost()})
	stopWatch()
	<-watched
	relErr := lease.Release(5 * time.Second)
	// The guard has exited (or was killed and reaped): the lock files
	// have no other holder and go with the run.
	locks.Remove()
	o.Result, o.Status, o.Exit, o.Err = res, res.Status, res.Exit, res.Err
	if relErr != nil && o.Err == nil {
		o.Err = fmt.Errorf("guard: %w", relErr)
	}
	if res.Journal == nil {
		if res.Exit != exitcode.Invalid {
			o.Exit, o.Status = exitcode.Infra, journal.StatusError
			o.Err = fmt.Errorf("run failed before its journal was complete: %w", res.Err)
		}
		return o
	}
	o.Report = reports.Build(res.Journal)
	files, err := WriteReports(c.OutDir, o.Report)
	o.Files = files
	if err != nil && o.Err == nil {
		o.Err = fmt.Errorf("writing reports: %w", err)
	}
	return o
}

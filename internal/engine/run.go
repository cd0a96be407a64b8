package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
)

// Event is something the live display shows.
type Event struct {
	At   time.Duration
	Kind string // phase, inject, revert, start, done, fail, abort, info
	Step string
	Msg  string
}

// Observer receives events and samples as the run goes (the live view).
// Sample is called concurrently from the probes' goroutines.
type Observer interface {
	Event(e Event)
	Sample(probe string, s probes.Sample)
}

type nopObserver struct{}

func (nopObserver) Event(Event)                  {}
func (nopObserver) Sample(string, probes.Sample) {}

// Options of a run.
type Options struct {
	// OutDir receives journal.jsonl.
	OutDir string
	// StateDir holds pointers to the journals of runs in progress, for recover.
	StateDir string
	RunID    string
	Observer Observer
	Version  string
	// SteadyGrace is how long, beyond its `for`, a steady state may take to
	// hold before the first step and after the end (default 30s).
	SteadyGrace time.Duration
	// Armed, when set, waits until the run's guard is in place (for a
	// guard process: spawned, with its end of the lease). No undo record
	// is written and no fault lands before it has returned without error;
	// until then the run gets going (journal, probes, steady state).
	Armed func(ctx context.Context) error
	// Heartbeat, when set, says the run is guarded: it is called every
	// 500 ms and before every injection, and an error (the guard is gone)
	// aborts the run, reverting, before anything more lands.
	Heartbeat func() error
	// GuardLost, when set, delivers the guard's death at once.
	GuardLost <-chan error
}

// Result of a run.
type Result struct {
	RunID       string
	JournalPath string
	Status      string
	Exit        int
	Verdicts    []verify.Verdict
	Journal     *journal.Run
	Err         error
}

// Run executes a planned experiment. ctx cancellation (a signal) aborts
// the run: everything is reverted and the status is aborted.
func Run(ctx context.Context, plan *Plan, opts Options) *Result {
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.SteadyGrace == 0 {
		opts.SteadyGrace = 30 * time.Second
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID(plan.Exp.Name)
	}
	res := &Result{RunID: opts.RunID}
	r := open(ctx, plan, opts, res)
	if r == nil {
		return res
	}
	defer r.cancelAbort()
	status, exit, err := r.execute(ctx)
	r.finish(res, status, exit, err)
	if res.Exit != exitcode.Infra && r.unregister != nil {
		r.unregister()
	}
	return res
}

// open checks the lock-out gate and starts the journal; nil means the run
// ended there (res says why).
func open(ctx context.Context, plan *Plan, opts Options, res *Result) *runner {
	fail := func(exit int, status string, err error) *runner {
		res.Exit, res.Status, res.Err = exit, status, err
		return nil
	}
	if err := lockoutGate(ctx, plan, opts.Heartbeat != nil); err != nil {
		return fail(exitcode.Invalid, journal.StatusInvalid, err)
	}
	jpath := filepath.Join(opts.OutDir, "journal.jsonl")
	jw, err := journal.Create(jpath)
	if errors.Is(err, os.ErrExist) {
		// A reused output directory is a usage error, not a broken host.
		return fail(exitcode.Invalid, journal.StatusInvalid,
			fmt.Errorf("output directory %s already holds a run (%s); give a new one: %w", opts.OutDir, jpath, err))
	}
	if err != nil {
		return fail(exitcode.Infra, journal.StatusError, err)
	}
	res.JournalPath = jpath
	r := newRunner(plan, opts, jw)
	host, _ := os.Hostname()
	if err := jw.Header(journal.Header{Run: opts.RunID, File: plan.Exp.File, Experiment: plan.Exp,
		Wall: r.base, Host: host, Version: opts.Version, Kernel: kernelRelease(), PID: os.Getpid(), Runner: runnerID()}); err != nil {
		r.cancelAbort()
		return fail(exitcode.Infra, journal.StatusError, err)
	}
	measure.Stage("journal opened")
	return r
}

// finish ends the journal and reads it back: the verdicts are those any
// report of it gives.
func (r *runner) finish(res *Result, status string, exit int, runErr error) {
	endAt := r.now()
	r.journalHosts()
	_ = r.jw.Phase(journal.PhaseEnd, endAt)
	if err := r.jw.FlushSamples(); err != nil && runErr == nil {
		runErr, exit, status = err, exitcode.Infra, journal.StatusError
	}
	jr, err := journal.ReadFile(res.JournalPath)
	if err != nil {
		res.Exit, res.Status, res.Err = exitcode.Infra, journal.StatusError, err
		return
	}
	jr.Phases[journal.PhaseEnd] = endAt
	res.Verdicts = verify.Evaluate(jr.Header.Experiment, verify.TimelineOf(jr))
	if status == journal.StatusPassed && !verify.Passed(res.Verdicts) {
		status, exit = journal.StatusFailed, exitcode.Failed
	}
	errText := ""
	if runErr != nil {
		errText = runErr.Error()
	}
	if err := r.jw.End(endAt, status, exit, errText); err != nil && runErr == nil {
		runErr = err
	}
	res.Status, res.Exit, res.Err = status, exit, runErr
	res.Journal, _ = journal.ReadFile(res.JournalPath)
}

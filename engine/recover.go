package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/journal"
)

// RecoverAction is what recover did (or would do) with one undo record.
type RecoverAction struct {
	Journal string
	Run     string
	Step    string
	Kind    string
	Outcome string // reverted, would revert, skipped (revert: never), target gone (closed), failed
	Error   string
}

// Recover outcomes.
const (
	OutcomeReverted    = "reverted"
	OutcomeWouldRevert = "would revert"
	OutcomeSkipped     = "skipped (revert: never)"
	OutcomeGone        = "target gone (closed)"
	OutcomeWouldClose  = "target gone (would close)"
	OutcomeFailed      = "failed"
	OutcomeNoJournal   = "journal missing"
)

// RecoverOptions say which journals to recover and who is recovering.
type RecoverOptions struct {
	StateDir string
	// Journals to recover; none = every journal registered under StateDir.
	Journals []string
	DryRun   bool
	// By is written into the reverted records: "recover" (default) or "guard".
	By string
}

// Recover reverts every open undo record of the given journals (or, when
// none are given, of every journal registered under the state directory).
// It is idempotent. Records whose revert is `never` are left alone. A
// record whose target is gone is reported and closed, not retried forever.
func Recover(ctx context.Context, stateDir string, journals []string, dryRun bool) ([]RecoverAction, error) {
	return RecoverWith(ctx, RecoverOptions{StateDir: stateDir, Journals: journals, DryRun: dryRun})
}

// RecoverWith is Recover with every option.
func RecoverWith(ctx context.Context, o RecoverOptions) ([]RecoverAction, error) {
	if o.By == "" {
		o.By = "recover"
	}
	journals := o.Journals
	if len(journals) == 0 {
		journals, _ = filepath.Glob(filepath.Join(ActiveDir(o.StateDir), "*.jsonl"))
	}
	var out []RecoverAction
	var errs []error
	for _, jp := range journals {
		acts, runID, err := recoverJournal(ctx, jp, o)
		out = append(out, acts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Every record is closed: the run no longer needs recovering.
		if !o.DryRun {
			unregisterRecovered(o.StateDir, jp, runID)
		}
	}
	return out, errors.Join(errs...)
}

// unregisterRecovered removes the run's pointer from the active folder,
// whether recover was given the pointer or the journal itself.
func unregisterRecovered(stateDir, path, runID string) {
	if filepath.Dir(path) == ActiveDir(stateDir) {
		_ = os.Remove(path)
		return
	}
	if runID == "" {
		return
	}
	link := filepath.Join(ActiveDir(stateDir), runID+".jsonl")
	target, err := filepath.EvalSymlinks(link)
	if err != nil {
		return
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil && real == target {
		_ = os.Remove(link)
	}
}

func recoverJournal(ctx context.Context, path string, o RecoverOptions) ([]RecoverAction, string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		// The journal itself is gone: nothing can be known about it.
		return []RecoverAction{{Journal: path, Outcome: OutcomeNoJournal, Error: err.Error()}}, "", nil
	}
	run, err := journal.ReadFile(real)
	if err != nil {
		return nil, "", err
	}
	var acts []RecoverAction
	var errs []error
	for _, ou := range run.OpenUndos() {
		a := RecoverAction{Journal: real, Run: run.Header.Run, Step: ou.Step, Kind: ou.Undo.Kind}
		if ou.Revert == "never" {
			a.Outcome = OutcomeSkipped
			acts = append(acts, a)
			continue
		}
		// A namespace recreated since (or deleted) holds nothing of ours:
		// say so instead of reverting into someone else's namespace.
		gone, why := undoNamespacesGone(ou.Undo)
		if o.DryRun {
			a.Outcome = OutcomeWouldRevert
			if gone {
				a.Outcome, a.Error = OutcomeWouldClose, why
			}
			acts = append(acts, a)
			continue
		}
		if gone {
			a.Outcome, a.Error = OutcomeGone, why
		} else {
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			err := faults.RevertUndo(rctx, ou.Undo)
			cancel()
			switch {
			case err == nil:
				a.Outcome = OutcomeReverted
			case errors.Is(err, faults.ErrNotFound) || errors.Is(err, os.ErrNotExist):
				a.Outcome, a.Error = OutcomeGone, err.Error()
			default:
				a.Outcome, a.Error = OutcomeFailed, err.Error()
				errs = append(errs, fmt.Errorf("%s step %s: %w", run.Header.Run, ou.Step, err))
				acts = append(acts, a)
				continue
			}
		}
		if err := journal.AppendStep(real, journal.StepRec{Step: ou.Step, Ev: journal.EvReverted,
			At: -1, By: o.By, Error: a.Error}); err != nil {
			errs = append(errs, err)
		}
		acts = append(acts, a)
	}
	return acts, run.Header.Run, errors.Join(errs...)
}

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
	Outcome string // reverted, would revert, skipped (revert: never), not found (closed), failed
	Error   string
}

// Recover reverts every open undo record of the given journals (or, when
// none are given, of every journal registered under the state directory).
// It is idempotent. Records whose revert is `never` are left alone. A
// record whose target is gone is reported and closed, not retried forever.
func Recover(ctx context.Context, stateDir string, journals []string, dryRun bool) ([]RecoverAction, error) {
	if len(journals) == 0 {
		links, _ := filepath.Glob(filepath.Join(ActiveDir(stateDir), "*.jsonl"))
		journals = links
	}
	var out []RecoverAction
	var errs []error
	for _, jp := range journals {
		acts, err := recoverJournal(ctx, jp, dryRun)
		out = append(out, acts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Every record is closed: the run no longer needs recovering.
		if !dryRun && filepath.Dir(jp) == ActiveDir(stateDir) {
			_ = os.Remove(jp)
		}
	}
	return out, errors.Join(errs...)
}

func recoverJournal(ctx context.Context, path string, dryRun bool) ([]RecoverAction, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		// The journal itself is gone: nothing can be known about it.
		return []RecoverAction{{Journal: path, Outcome: "journal missing", Error: err.Error()}}, nil
	}
	run, err := journal.ReadFile(real)
	if err != nil {
		return nil, err
	}
	var acts []RecoverAction
	var errs []error
	for _, ou := range run.OpenUndos() {
		a := RecoverAction{Journal: real, Run: run.Header.Run, Step: ou.Step, Kind: ou.Undo.Kind}
		if ou.Revert == "never" {
			a.Outcome = "skipped (revert: never)"
			acts = append(acts, a)
			continue
		}
		if dryRun {
			a.Outcome = "would revert"
			acts = append(acts, a)
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := faults.RevertUndo(rctx, ou.Undo)
		cancel()
		switch {
		case err == nil:
			a.Outcome = "reverted"
		case errors.Is(err, faults.ErrNotFound) || errors.Is(err, os.ErrNotExist):
			a.Outcome, a.Error = "target gone (closed)", err.Error()
		default:
			a.Outcome, a.Error = "failed", err.Error()
			errs = append(errs, fmt.Errorf("%s step %s: %w", run.Header.Run, ou.Step, err))
			acts = append(acts, a)
			continue
		}
		if err := journal.AppendStep(real, journal.StepRec{Step: ou.Step, Ev: journal.EvReverted,
			At: -1, By: "recover", Error: a.Error}); err != nil {
			errs = append(errs, err)
		}
		acts = append(acts, a)
	}
	return acts, errors.Join(errs...)
}

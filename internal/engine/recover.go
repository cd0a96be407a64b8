package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
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
	// OutcomeLive: the run is still in progress; nothing of it is touched.
	OutcomeLive = "skipped (run is live)"
	// OutcomeRefused: the journal file or the undo record is not trusted;
	// nothing is touched and the run stays registered.
	OutcomeRefused = "refused (not trusted)"
)

// RecoverOptions say which journals to recover and who is recovering.
type RecoverOptions struct {
	StateDir string
	// Journals to recover; none = every journal registered under StateDir.
	Journals []string
	DryRun   bool
	// By is written into the reverted records: "recover" (default) or "guard".
	By string
	// Holder is set by the run's own guard, which holds the run (its locks)
	// and knows its runner is gone: the liveness check is skipped.
	Holder bool
}

// Recover reverts every open undo record of the given journals (or, when
// none are given, of every journal registered under the state directory).
// It is idempotent. Records whose revert is `never` are left alone. A
// record whose target is gone is reported and closed, not retried forever.
func Recover(ctx context.Context, stateDir string, journals []string, dryRun bool) ([]RecoverAction, error) {
	return RecoverWith(ctx, RecoverOptions{StateDir: stateDir, Journals: journals, DryRun: dryRun})
}

// RecoverWith is Recover with every option. A run that is still alive
// (see runAlive) is reported and skipped: recover never reverts a fault a
// live run holds, nor removes its registration. Registered journals are
// read only from an active folder and files that only root may write; an
// undo record that fails its kind's trust check is refused.
func RecoverWith(ctx context.Context, o RecoverOptions) ([]RecoverAction, error) {
	if o.By == "" {
		o.By = "recover"
	}
	journals := o.Journals
	if len(journals) == 0 {
		dir := ActiveDir(o.StateDir)
		st, err := os.Lstat(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err == nil {
			err = journal.TrustedFile(dir, st)
		}
		if err != nil || !st.IsDir() {
			if err == nil {
				err = fmt.Errorf("%w: %s is not a directory", journal.ErrUntrustedFile, dir)
			}
			return []RecoverAction{{Journal: dir, Outcome: OutcomeRefused, Error: err.Error()}},
				fmt.Errorf("recover: %w", err)
		}
		journals, _ = filepath.Glob(filepath.Join(dir, "*.jsonl"))
	}
	var out []RecoverAction
	var errs []error
	for _, jp := range journals {
		acts, runID, live, err := recoverJournal(ctx, jp, o)
		out = append(out, acts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Every record is closed: the run no longer needs recovering.
		if !o.DryRun && !live {
			unregisterRecovered(o.StateDir, jp, runID)
		}
	}
	return out, errors.Join(errs...)
}

// registeredRunID is the run id a pointer in the active folder names.
func registeredRunID(stateDir, path string) string {
	if filepath.Dir(path) != ActiveDir(stateDir) {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(path), ".jsonl")
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

func recoverJournal(ctx context.Context, path string, o RecoverOptions) (acts []RecoverAction, runID string, live bool, err error) {
	runID = registeredRunID(o.StateDir, path)
	// A live run is left alone before anything of it is read or changed
	// (a run whose journal is not there yet included).
	if !o.Holder {
		if alive, why := runAlive(o.StateDir, runID, nil); alive {
			return []RecoverAction{{Journal: path, Run: runID, Outcome: OutcomeLive, Error: why}}, runID, true, nil
		}
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		// The journal itself is gone: nothing can be known about it.
		return []RecoverAction{{Journal: path, Run: runID, Outcome: OutcomeNoJournal, Error: err.Error()}}, runID, false, nil
	}
	run, err := journal.ReadTrusted(real)
	if err != nil {
		if errors.Is(err, journal.ErrUntrustedFile) {
			return []RecoverAction{{Journal: real, Run: runID, Outcome: OutcomeRefused, Error: err.Error()}}, runID, false, err
		}
		return nil, runID, false, err
	}
	if runID == "" {
		runID = run.Header.Run
	}
	if !o.Holder {
		if alive, why := runAlive(o.StateDir, run.Header.Run, run); alive {
			return []RecoverAction{{Journal: real, Run: run.Header.Run, Outcome: OutcomeLive, Error: why}}, runID, true, nil
		}
	}
	var errs []error
	for _, ou := range run.OpenUndos() {
		a := RecoverAction{Journal: real, Run: run.Header.Run, Step: ou.Step, Kind: ou.Undo.Kind}
		if ou.Revert == "never" {
			a.Outcome = OutcomeSkipped
			acts = append(acts, a)
			continue
		}
		// A step that ran on hosts goes back to them (hosts_recover.go).
		if ou.Undo.Kind == hostsUndoKind {
			a, err := recoverOnHosts(ctx, run, ou.Step, ou.Undo, o, a)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s step %s: %w", run.Header.Run, ou.Step, err))
			}
			acts = append(acts, a)
			continue
		}
		// A record that does not name objects faultline made is never
		// acted on, whatever else it says.
		if terr := faults.TrustUndo(ou.Undo); terr != nil {
			a.Outcome, a.Error = OutcomeRefused, terr.Error()
			acts = append(acts, a)
			errs = append(errs, fmt.Errorf("%s: %s step %s: %w", real, run.Header.Run, ou.Step, terr))
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
			case errors.Is(err, faults.ErrUntrusted):
				a.Outcome, a.Error = OutcomeRefused, err.Error()
				errs = append(errs, fmt.Errorf("%s: %s step %s: %w", real, run.Header.Run, ou.Step, err))
				acts = append(acts, a)
				continue
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
	return acts, runID, false, errors.Join(errs...)
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/journal"
)

// revertStep reverts one prepared fault once; later calls do nothing.
func (r *runner) revertStep(st *stepState, by string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.prepared || st.reverted {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The fault holds fully until Revert begins: that is its end for
	// `during` windows (samples after it may already see the heal).
	at := r.now()
	if err := st.ps.Fault.Revert(ctx); err != nil {
		_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvFailed, At: r.now(), Error: "revert: " + err.Error()})
		r.event("fail", st.ps.Step.Name, "revert: "+err.Error())
		return fmt.Errorf("revert %s: %w", st.ps.Step.Name, err)
	}
	st.reverted = true
	_ = r.jw.Step(journal.StepRec{Step: st.ps.Step.Name, Ev: journal.EvReverted, At: at, By: by})
	r.journalHostStamps(st.ps.Fault, st.ps.Step.Name, journal.EvReverted)
	if st.injected {
		r.event("revert", st.ps.Step.Name, "reverted")
	}
	return nil
}

// revertAll reverts every prepared fault in reverse order: the auto ones,
// or all of them.
func (r *runner) revertAll(all bool) error {
	var errs []error
	for i := len(r.states) - 1; i >= 0; i-- {
		st := r.states[i]
		if st.ps.Fault == nil || (!all && !st.ps.Step.RevertAuto()) {
			continue
		}
		if err := r.revertStep(st, "run"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func revertMode(s *experiments.Step) string {
	if s.RevertAuto() {
		return "auto"
	}
	return "never"
}

package engine

import (
	"context"
	"fmt"

	"github.com/faultline/faultline/faults"
)

// lockoutGate refuses to run a plan that would lock the operator out,
// checking it now when the caller did not, and refuses an allowed lock-out
// when the run is not guarded.
func lockoutGate(ctx context.Context, plan *Plan, guarded bool) error {
	if !plan.lockoutChecked {
		return plan.CheckLockout(ctx, hostLockoutCheck(), guarded)
	}
	if len(plan.Lockout) > 0 && !guarded {
		return fmt.Errorf("%w: this plan may lock the host out (%s) and the run has no guard; nothing was injected",
			ErrPlan, plan.Lockout[0])
	}
	return nil
}

// blastRadiusAfterPrepare counts targets again once faults have resolved
// what they select (a domain glob becomes domains): safety.maxTargets holds
// for what is really touched, not only for what the plan could name.
func (r *runner) blastRadiusAfterPrepare() error {
	max := r.plan.Exp.Safety.MaxTargets
	if max <= 0 {
		return nil
	}
	seen := map[faults.Target]bool{}
	for _, st := range r.states {
		for _, t := range st.ps.Targets() {
			seen[t] = true
		}
	}
	if len(seen) > max {
		return fmt.Errorf("blast radius: the run would touch %d targets once resolved, more than safety.maxTargets %d", len(seen), max)
	}
	return nil
}

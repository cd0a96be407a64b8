package agent

import (
	"fmt"

	"github.com/faultline/faultline/internal/engine"
)

// lockTargets takes the target locks of a fault step on this host: the
// flock'd files a local run here takes (engine.LockTargets in the same
// state directory), so two runs, from two controllers or a controller
// and a local run, never inject on one target at once. They hold until
// the step is reverted, or the agent exits (the kernel drops a flock
// with the process). h.mu is held.
func (s *session) lockTargets(h *held) error {
	if h.fault == nil || h.locks != nil {
		return nil
	}
	l, err := engine.LockTargets(s.opts.StateDir, s.run, h.fault.Targets())
	if err != nil {
		return fmt.Errorf("on this host: %w", err)
	}
	h.locks = l
	return nil
}

// unlockTargets drops a reverted step's locks and their files. h.mu is held.
func (h *held) unlockTargets() {
	h.locks.Remove()
	h.locks = nil
}

package agent

import (
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/internal/wire"
)

// MaxArmAhead bounds how far ahead of its moment an inject may be sent.
const MaxArmAhead = 10 * time.Second

// waitArmed holds an armed inject (st.At, on this agent's clock) until
// its moment: the controller sends it ahead, so every host injects on
// its own clock at the same moment instead of when the request happens
// to get through a loaded machine. A step reverted meanwhile (the run
// aborted) or the session's end cancels it.
func (s *session) waitArmed(h *held, st *wire.Step) error {
	ahead := time.Duration(st.At - s.mono())
	if ahead > MaxArmAhead {
		return fmt.Errorf("step %s: inject armed %s ahead, at most %s", h.step, ahead.Round(time.Millisecond), MaxArmAhead)
	}
	h.mu.Lock()
	ok := h.prepared && !h.reverted
	h.mu.Unlock()
	if !ok {
		return fmt.Errorf("step %s: armed inject of a step not prepared or already reverted", h.step)
	}
	if ahead <= 0 {
		return nil // late: at once
	}
	t := time.NewTimer(ahead)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.ctx.Done():
		return errors.New("the session ended before the armed moment")
	}
}

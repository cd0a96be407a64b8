package engine

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Arm lead: how long before its moment a step on hosts is sent to them
// (see hostsFault.ArmAt). It must cover a request's way through the
// controller, sshd and agent, which the step's own Prepare (a round trip
// to every host, just before) measures: twice that, within
// [MinArmLead, MaxArmLead]. At 100 hosts on a saturated 2-core machine
// Prepare took 1-1.8 s and the slowest inject request up to 1 s. A run
// that aborts within the lead may see the fault land on a host and be
// reverted at once.
const (
	MinArmLead = 250 * time.Millisecond
	MaxArmLead = 5 * time.Second
)

func armLead(prepare time.Duration) time.Duration {
	return min(max(2*prepare, MinArmLead), MaxArmLead)
}

// armedInjecter is a fault on a host that can be sent ahead of its moment
// (remote.Fault).
type armedInjecter interface {
	InjectAt(ctx context.Context, at time.Time) error
}

// arming is a step's inject sent ahead to its hosts.
type arming struct {
	mu       sync.Mutex
	at       time.Time
	cancel   context.CancelFunc
	sent     bool
	done     chan struct{}
	errs     []error
	canceled bool
}

// ArmAt tells the step the moment it is due (the engine calls it after
// Prepare): the arm lead before it, every host is sent an inject armed for
// that moment on its own clock, and Inject then waits for their replies.
// Skew across hosts is then each host's timer, not the delivery of N
// requests through one machine at once.
func (h *hostsFault) ArmAt(at time.Time) {
	for _, f := range h.fs {
		if _, ok := f.(armedInjecter); !ok {
			return // not every part can be armed: inject on time instead
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &arming{at: at, cancel: cancel, done: make(chan struct{}), errs: make([]error, len(h.fs))}
	h.arm.Lock()
	if h.armed != nil {
		h.armed.cancel()
	}
	h.armed = a
	h.arm.Unlock()
	go func() {
		t := time.NewTimer(time.Until(at.Add(-armLead(h.prepTook))))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			a.mu.Lock()
			a.canceled = true
			a.mu.Unlock()
			close(a.done)
			return
		}
		a.mu.Lock()
		if a.canceled {
			a.mu.Unlock()
			close(a.done)
			return
		}
		a.sent = true
		a.mu.Unlock()
		var wg sync.WaitGroup
		for i, f := range h.fs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.errs[i] = f.(armedInjecter).InjectAt(ctx, at)
			}()
		}
		wg.Wait()
		close(a.done)
	}()
}

// injectArmed waits for the armed inject's replies; ok is false when the
// step was not armed (or its arming was cancelled before it was sent).
func (h *hostsFault) injectArmed(ctx context.Context) (ok bool, err error) {
	h.arm.Lock()
	a := h.armed
	h.arm.Unlock()
	if a == nil {
		return false, nil
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return true, ctx.Err()
	}
	a.mu.Lock()
	sent := a.sent
	a.mu.Unlock()
	if !sent {
		return false, nil
	}
	return true, errors.Join(a.errs...)
}

// disarm stops an inject not yet sent (the run is reverting the step);
// one already sent is cancelled on each host by the revert itself.
func (h *hostsFault) disarm() {
	h.arm.Lock()
	a := h.armed
	h.arm.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	if !a.sent {
		a.canceled = true
		a.cancel()
	}
	a.mu.Unlock()
}

package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// KindLinkFlap takes links down and up again, count times.
const KindLinkFlap = "link.flap"

// linkFlap runs count cycles of one period each: the links go down at the
// start of a cycle and come back up (addresses and routes restored, as a
// carrier flap would leave them) halfway through. The first "down" happens
// in Inject; a goroutine runs the rest on a fixed schedule, so a slow
// restore does not stretch the fault.
type linkFlap struct {
	*linkDown
	period time.Duration
	count  int

	stop    context.CancelFunc
	done    chan struct{}
	flapErr error
}

func newLinkFlap(params json.RawMessage) (faults.Fault, error) {
	var p flapParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", KindLinkFlap, err)
	}
	period, err := p.validate()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KindLinkFlap, err)
	}
	down, err := newLinkDownFrom(p.linkParams)
	if err != nil {
		return nil, err
	}
	if down.with, err = json.Marshal(p); err != nil {
		return nil, err
	}
	return &linkFlap{linkDown: down, period: period, count: p.Count}, nil
}

func (f *linkFlap) Describe() string {
	return fmt.Sprintf("%s %s every %s, %d times", KindLinkFlap,
		strings.Join(linkIDs(f.netns, f.links), ", "), f.period, f.count)
}

func (f *linkFlap) Prepare(ctx context.Context) (faults.Undo, error) {
	return f.prepare(ctx, KindLinkFlap, f.scope)
}

// Inject takes the links down and starts the rest of the cycles. Injecting
// while a flap runs changes nothing.
func (f *linkFlap) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done != nil {
		return nil
	}
	if f.before == nil {
		if err := f.prepareLocked(ctx, f.scope); err != nil {
			return fmt.Errorf("%s: %w", KindLinkFlap, err)
		}
	}
	h, err := f.handleLocked()
	if err != nil {
		return fmt.Errorf("%s: %w", KindLinkFlap, err)
	}
	devs := make([]netlink.Link, len(f.links))
	for i, n := range f.links {
		devs[i] = f.link(n)
	}
	start := time.Now()
	f.injected = true
	if err := f.setDown(h, devs); err != nil {
		return fmt.Errorf("%s: %w", KindLinkFlap, err)
	}
	// The flap outlives Inject's context; Revert stops it.
	runCtx, cancel := context.WithCancel(context.Background())
	f.stop, f.done, f.flapErr = cancel, make(chan struct{}), nil
	go f.run(runCtx, h, devs, start, *f.before, f.done)
	return nil
}

func (f *linkFlap) setDown(h *netlink.Handle, devs []netlink.Link) error {
	var errs []error
	for _, d := range devs {
		if err := h.LinkSetDown(d); err != nil {
			errs = append(errs, linkErr(f.netns, d.Attrs().Name, "set down", err))
		}
	}
	return errors.Join(errs...)
}

// run finishes cycle 0 (already down) and runs the others. It owns h until
// done is closed; Revert waits for that before touching h.
func (f *linkFlap) run(ctx context.Context, h *netlink.Handle, devs []netlink.Link, start time.Time, before NetnsSnapshot, done chan struct{}) {
	defer close(done)
	var err error
	defer func() {
		// An error caused by Revert stopping us is no error: Revert restores.
		if ctx.Err() == nil {
			f.flapErr = err
		}
	}()
	for i := 0; i < f.count; i++ {
		cycle := start.Add(time.Duration(i) * f.period)
		if i > 0 {
			if !flapSleepUntil(ctx, cycle) {
				return
			}
			if err = f.setDown(h, devs); err != nil {
				err = fmt.Errorf("cycle %d of %d: %w", i+1, f.count, err)
				return
			}
		}
		if !flapSleepUntil(ctx, cycle.Add(f.period/2)) {
			return
		}
		if err = linkRestoreSnapshot(ctx, h, f.netns, before); err != nil {
			err = fmt.Errorf("cycle %d of %d: up: %w", i+1, f.count, err)
			return
		}
	}
}

// flapSleepUntil waits for t; false when ctx ended first.
func flapSleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Revert stops the flapping and restores links, addresses and routes. If
// the flap had stopped early on an error, the first Revert after it reports
// that error (once the links are restored).
func (f *linkFlap) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done != nil {
		f.stop()
		<-f.done
		f.stop, f.done = nil, nil
	}
	if err := f.restoreLocked(ctx); err != nil {
		return fmt.Errorf("%s revert: %w", KindLinkFlap, err)
	}
	if err := f.flapErr; err != nil {
		f.flapErr = nil
		return fmt.Errorf("%s: flapping stopped early: %w", KindLinkFlap, err)
	}
	return nil
}

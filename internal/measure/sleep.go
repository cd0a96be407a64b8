package measure

import (
	"context"
	"time"
)

// FineSleep is the last stretch before a moment that SleepUntil sleeps
// precisely.
const FineSleep = time.Millisecond

// SleepUntil waits for t; false means ctx ended first. Go's timers wake in
// whole milliseconds on Linux (epoll's timeout), up to 1 ms late, so the
// last FineSleep is slept with nanosleep on the caller's thread: the wake
// is tens of microseconds late at most, and ctx's end may be noticed up to
// FineSleep late. timer, when not nil, is reused (a caller that sleeps in
// a loop saves an allocation per sleep); its channel must be drained.
func SleepUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	if Ended(ctx) {
		return false
	}
	if d := time.Until(t) - FineSleep; d > 0 {
		if timer == nil {
			timer = time.NewTimer(d)
			defer timer.Stop()
		} else {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
	return NanosleepUntil(ctx, t)
}

// NanosleepUntil sleeps up to t with nanosleep alone, on the caller's
// thread, a FineSleep at a time so that it notices the end of ctx within
// one; false means ctx ended first. The kernel wakes the thread itself,
// with no Go timer in between: a thread raised to a real-time priority
// then wakes on time even on a busy machine.
func NanosleepUntil(ctx context.Context, t time.Time) bool {
	for {
		if Ended(ctx) {
			return false
		}
		d := time.Until(t)
		if d <= 0 {
			break
		}
		_ = nanosleep(min(d, FineSleep)) // a signal wakes it early: sleep on
	}
	// ctx may have ended meanwhile: never act after the end.
	return !Ended(ctx)
}

// Ended reports whether ctx is done or past its deadline (its own timer
// may not have fired yet on a busy machine).
func Ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// SpinUntil busy-waits for t on the caller's thread, reading the clock:
// for the last tens of microseconds before a moment, where even a
// real-time thread's nanosleep wakes late (a timer interrupt, a vCPU
// woken by its host). Only for short waits: it burns the CPU it waits on.
func SpinUntil(t time.Time) {
	for time.Now().Before(t) {
	}
}

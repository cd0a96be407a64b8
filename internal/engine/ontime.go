package engine

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/measure"
)

// onTime sleeps up to a moment of the run and runs fn then. The last
// rtWindow of the sleep (its last spinWindow spent watching the clock)
// and fn run on a thread raised to the lowest
// real-time priority: on a busy host a woken thread may otherwise wait
// milliseconds for a CPU, and the fault would land that late. Without
// the privilege (a container without CAP_SYS_NICE) both run at the
// thread's normal priority. false: the run was aborted first, and fn did
// not run.
func (r *runner) onTime(at time.Duration, fn func()) bool {
	t := r.base.Add(at)
	if !measure.SleepUntil(r.abortCtx, nil, t.Add(-rtWindow)) {
		return false
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer realtime()()
	if !measure.NanosleepUntil(r.abortCtx, t.Add(-spinWindow)) {
		return false
	}
	measure.SpinUntil(t)
	if measure.Ended(r.abortCtx) {
		return false
	}
	fn()
	return true
}

// spinWindow is how long before a moment the raised thread stops sleeping
// and watches the clock: a nanosleep wakes tens of microseconds late on a
// virtual machine, a spin of this long costs that much CPU once per step.
const spinWindow = 200 * time.Microsecond

// rtWindow is how long before a moment the thread is raised and sleeps
// with nanosleep alone: a woken Go timer is itself delivered by a thread
// at normal priority, late on a busy host, so it must fire well before
// the moment.
const rtWindow = 20 * time.Millisecond

// realtime raises the calling thread (locked to its goroutine) to
// SCHED_FIFO priority 1, above every normal thread and below every
// real-time one; restore puts back the thread's own policy.
func realtime() (restore func()) {
	old, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return func() {}
	}
	rt := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}
	if err := unix.SchedSetAttr(0, &rt, 0); err != nil {
		return func() {}
	}
	return func() {
		old.Size = unix.SizeofSchedAttr
		_ = unix.SchedSetAttr(0, old, 0)
	}
}

package measure

import (
	"time"

	"golang.org/x/sys/unix"
)

// nanosleep sleeps d without the timer wheel's millisecond rounding; an
// error (a signal) means it woke early.
func nanosleep(d time.Duration) error {
	ts := unix.NsecToTimespec(int64(d))
	return unix.Nanosleep(&ts, nil)
}

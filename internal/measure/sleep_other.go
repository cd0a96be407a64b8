//go:build !linux

package measure

import "time"

// nanosleep falls back to Go's timer where there is no nanosleep(2) call.
func nanosleep(d time.Duration) error {
	time.Sleep(d)
	return nil
}

package nsutil

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// OnThread runs fn on an OS thread locked for the call, and returns that
// thread to the network namespace it started in before the scheduler may
// use it again. fn may move the thread (netns.Set, unshare, netns.New);
// it must not unlock it. A thread that cannot be moved back is never
// unlocked: Go ends it with its goroutine. It is the one place faultline
// switches a thread's network namespace.
func OnThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("restore netns: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

package session

import (
	"context"
	"time"

	"github.com/faultline/faultline/internal/guard"
)

// spawning is a guard being spawned beside the run: the fork and exec of
// the guard (milliseconds for a binary this size) overlap the journal's
// creation instead of preceding it. Armed waits until the guard process
// exists, which is all the run needs before its first undo record.
type spawning struct {
	done  chan struct{} // closed once Spawn returned
	lease *guard.Lease
	err   error
	lost  chan error
	stop  chan struct{} // closed by Release: the loss is no longer forwarded
}

func spawnBeside(spawn func() (*guard.Lease, error)) *spawning {
	s := &spawning{done: make(chan struct{}), lost: make(chan error, 1), stop: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.lease, s.err = spawn()
		if s.err == nil {
			go func() {
				select {
				case err := <-s.lease.Lost():
					s.lost <- err
				case <-s.stop:
				}
			}()
		}
	}()
	return s
}

// Armed waits until the guard process exists; it fails when it could not
// be started or is known not to have come up.
func (s *spawning) Armed(ctx context.Context) error {
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.err != nil {
		return s.err
	}
	return s.lease.Armed(ctx)
}

// Check is the lease's heartbeat check; nil while the guard is still
// being spawned (nothing is injected before Armed).
func (s *spawning) Check() error {
	select {
	case <-s.done:
	default:
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return s.lease.Check()
}

// Lost delivers the guard's loss once.
func (s *spawning) Lost() <-chan error { return s.lost }

// Release waits for the spawn, then releases the lease (see
// guard.Lease.Release); a guard that could not be started has nothing to
// release.
func (s *spawning) Release(timeout time.Duration) error {
	close(s.stop)
	<-s.done
	if s.err != nil {
		return nil
	}
	return s.lease.Release(timeout)
}

package bmcfault

import (
	"context"
	"sync"
	"time"
)

// warmTTL is how long a session opened at Prepare waits for Inject. A
// BMC has few session slots (often 4 to 10 for all users), so one that
// is not used soon is closed, and Inject then opens its own.
const warmTTL = 2 * time.Minute

// warm holds one authenticated session from Prepare to Inject, so that
// the fault's moment costs one datagram and its answer instead of the six
// exchanges of an RMCP+ handshake.
type warm struct {
	mu    sync.Mutex
	s     *session
	timer *time.Timer
}

// keep stores s, closing any session held before.
func (w *warm) keep(s *session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropLocked()
	w.s = s
	w.timer = time.AfterFunc(warmTTL, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.s == s {
			w.dropLocked()
		}
	})
}

// take hands the held session over to the caller (nil if none).
func (w *warm) take() *session {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.s
	if w.timer != nil {
		w.timer.Stop()
	}
	w.s, w.timer = nil, nil
	return s
}

func (w *warm) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropLocked()
}

func (w *warm) dropLocked() {
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.s != nil {
		w.s.close(context.Background())
	}
	w.s, w.timer = nil, nil
}

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

// keepAlive is how often a held session is used while it waits: a BMC
// closes a session idle for its inactivity timeout (30 s in OpenIPMI's
// simulator, 60 s in the IPMI spec), and a control sent over a closed
// one is lost: Inject would wait out two exchange timeouts and a close
// before it opened a new session (4.5 s measured).
const keepAlive = 10 * time.Second

// warm holds one authenticated session from Prepare to Inject, so that
// the fault's moment costs one datagram and its answer instead of the six
// exchanges of an RMCP+ handshake.
type warm struct {
	mu    sync.Mutex
	s     *session
	timer *time.Timer
	alive *time.Timer
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
	w.alive = time.AfterFunc(keepAlive, func() { w.ping(s) })
}

// ping uses the held session s (Get Device ID: the BMC answers it itself)
// so the BMC keeps it open, and drops it when the BMC does not answer:
// Inject then opens its own at once. Under mu, so never beside Inject's
// use of it.
func (w *warm) ping(s *session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.s != s {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	defer cancel()
	if _, err := s.c.GetDeviceID(ctx); err != nil {
		w.dropLocked()
		return
	}
	w.alive.Reset(keepAlive)
}

// take hands the held session over to the caller (nil if none).
func (w *warm) take() *session {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.s
	w.stopLocked()
	return s
}

func (w *warm) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropLocked()
}

func (w *warm) dropLocked() {
	s := w.s
	w.stopLocked()
	if s != nil {
		s.close(context.Background())
	}
}

// stopLocked forgets the held session and its timers.
func (w *warm) stopLocked() {
	for _, t := range []*time.Timer{w.timer, w.alive} {
		if t != nil {
			t.Stop()
		}
	}
	w.s, w.timer, w.alive = nil, nil, nil
}

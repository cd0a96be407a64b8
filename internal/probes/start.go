package probes

import (
	"context"
	"sync/atomic"
	"time"
)

// A check is dated from the moment it first touches what it measures (a
// socket made, a command forked), not from when the sampler called it:
// entering a namespace or waiting for a thread in between would date it
// early, and an outage's edges with it.

type startKey struct{}

type startMark struct{ t atomic.Pointer[time.Time] }

func withStartMark(ctx context.Context) (context.Context, *startMark) {
	m := &startMark{}
	return context.WithValue(ctx, startKey{}, m), m
}

// MarkStart records now as the start of the check ctx belongs to; the
// first call of a check wins. A prober calls it where its check begins
// to measure (the dialers of this package do, once the socket exists
// in the probe's namespace); without a call the sampler's own stamp from
// just before Check stands.
func MarkStart(ctx context.Context) {
	if m, ok := ctx.Value(startKey{}).(*startMark); ok {
		now := time.Now()
		m.t.CompareAndSwap(nil, &now)
	}
}

// startedAt is the check's marked start, or fallback when none is marked.
func startedAt(ctx context.Context, fallback time.Time) time.Time {
	if m, ok := ctx.Value(startKey{}).(*startMark); ok {
		if t := m.t.Load(); t != nil {
			return *t
		}
	}
	return fallback
}

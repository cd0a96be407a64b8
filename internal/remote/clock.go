package remote

import (
	"sync"
	"time"
)

// ClockEstimate maps a host's monotonic clock onto the controller's.
// Offset is agent minus controller for the same instant; Error bounds
// how far the estimate can be off (half the round trip it came from).
type ClockEstimate struct {
	Offset time.Duration
	Error  time.Duration
	RTT    time.Duration
	// Samples is how many round trips the estimate was chosen from.
	Samples int
	// Worst is the largest Error of the estimates stamps were mapped
	// with so far: what a sample or step stamp from the host may be off
	// by at most (an early one was mapped before the filter had its
	// best round trip).
	Worst time.Duration
	OK    bool
}

// clockWindow keeps the last round trips; the one with the smallest RTT
// wins (NTP's min-delay filter: a round trip delayed by queueing on
// either side is the one whose midpoint is least certain). A bounded
// window follows slow drift between the two monotonic clocks.
const clockWindow = 64

type roundTrip struct {
	rtt, offset time.Duration
}

type clock struct {
	mu    sync.Mutex
	ring  [clockWindow]roundTrip
	n     int
	next  int
	worst time.Duration
}

// add records one heartbeat: sent and recv on the controller's clock, at
// the agent's clock when it echoed.
func (c *clock) add(sent, recv, agent time.Duration) {
	if recv < sent {
		return
	}
	rtt := recv - sent
	rt := roundTrip{rtt: rtt, offset: agent - (sent + rtt/2)}
	c.mu.Lock()
	c.ring[c.next] = rt
	c.next = (c.next + 1) % clockWindow
	if c.n < clockWindow {
		c.n++
	}
	c.mu.Unlock()
}

func (c *clock) estimate() ClockEstimate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.estimateLocked()
}

// use is the estimate a stamp is mapped with; it counts towards Worst.
func (c *clock) use() ClockEstimate {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.estimateLocked()
	if e.Error > c.worst {
		c.worst = e.Error
	}
	e.Worst = c.worst
	return e
}

func (c *clock) estimateLocked() ClockEstimate {
	if c.n == 0 {
		return ClockEstimate{Worst: c.worst}
	}
	best := c.ring[0]
	for _, rt := range c.ring[1:c.n] {
		if rt.rtt < best.rtt {
			best = rt
		}
	}
	return ClockEstimate{Offset: best.offset, Error: best.rtt / 2, RTT: best.rtt, Samples: c.n, Worst: c.worst, OK: true}
}

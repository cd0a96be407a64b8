package reports

import (
	"time"

	"github.com/faultline/faultline/internal/probes"
)

// xScale maps run time (offsets from the start of probing) to the x axis
// of every drawing in the HTML report, so the charts line up.
type xScale struct {
	t0, t1 time.Duration // left and right edges
	left   float64       // x of t0
	width  float64       // pixels from t0 to t1; one pixel column each
}

func (s xScale) span() time.Duration {
	if s.t1 <= s.t0 {
		return time.Second
	}
	return s.t1 - s.t0
}

func (s xScale) x(t time.Duration) float64 {
	return s.left + float64(t-s.t0)*s.width/float64(s.span())
}

func (s xScale) pxPerSecond() float64 { return s.width / s.span().Seconds() }

func (s xScale) cols() int { return int(s.width) }

// col is the pixel column holding t, clamped to the plot.
func (s xScale) col(t time.Duration) int {
	c := int(float64(t-s.t0) * s.width / float64(s.span()))
	if c < 0 {
		return 0
	}
	if n := s.cols(); c >= n {
		return n - 1
	}
	return c
}

// column is what one pixel column of a probe shows: how many samples start
// in it and how many failed, the range of ok latencies and of values.
type column struct {
	n, fail        int
	latN           int
	latMin, latMax time.Duration
	vMin, vMax     float64
	lastFailed     bool // the column's last sample failed
	// state the column shows on the up/down strip: 0 no data, 1 up,
	// 2 down. A column with no sample of its own carries the state of the
	// last sample before it (a sample stands until the next one), so a
	// slow probe is drawn at its real resolution.
	state uint8
}

const (
	stateNone uint8 = iota
	stateUp
	stateDown
)

// binSamples downsamples for drawing: one pass, one column per pixel. Any
// failed sample makes its column down, so no outage disappears; the exact
// outages are drawn on top from verify.Outages anyway.
func binSamples(ss []probes.Sample, sc xScale) []column {
	cols := make([]column, sc.cols())
	for i := range ss {
		s := &ss[i]
		if s.Start < sc.t0 || s.Start > sc.t1 {
			continue
		}
		c := &cols[sc.col(s.Start)]
		if c.n == 0 || s.Value < c.vMin {
			c.vMin = s.Value
		}
		if c.n == 0 || s.Value > c.vMax {
			c.vMax = s.Value
		}
		c.n++
		c.lastFailed = !s.OK
		if !s.OK {
			c.fail++
			continue
		}
		if c.latN == 0 || s.Latency < c.latMin {
			c.latMin = s.Latency
		}
		if s.Latency > c.latMax {
			c.latMax = s.Latency
		}
		c.latN++
	}
	carry := stateNone
	for i := range cols {
		c := &cols[i]
		switch {
		case c.fail > 0:
			c.state = stateDown
		case c.n > 0:
			c.state = stateUp
		default:
			c.state = carry
			continue
		}
		// What stands after this column is its last sample's state.
		carry = stateUp
		if c.lastFailed {
			carry = stateDown
		}
	}
	return cols
}

// runs merges neighbouring columns of equal state into [from, to) spans.
func runs(cols []column) []colRun {
	var out []colRun
	for i := 0; i < len(cols); {
		j := i
		for j < len(cols) && cols[j].state == cols[i].state {
			j++
		}
		out = append(out, colRun{from: i, to: j, state: cols[i].state})
		i = j
	}
	return out
}

type colRun struct {
	from, to int
	state    uint8
}

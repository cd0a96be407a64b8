package verify

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
)

// latencyBuffer holds the latencies being ranked. It is pooled: an hour
// at 1kHz is 29MB, not worth allocating (and collecting) per Evaluate.
type latencyBuffer struct{ v []time.Duration }

var latencyBuffers = sync.Pool{New: func() any { return new(latencyBuffer) }}

type latencyKey struct {
	key string
	p   float64
	err error
}

// latency gives one verdict per percentile key, lowest percentile first.
// Percentiles are nearest-rank over the latencies of the ok samples in the
// window only: a failed check's latency is its timeout or its error's
// speed, which says nothing about how fast the service answers (outages
// are judged by availability and maxOutage). The Detail says so.
func latency(base Verdict, tl Timeline, a experiments.Verify, w window, werr error, buf *latencyBuffer) []Verdict {
	base.Kind = KindLatency
	keys := make([]latencyKey, 0, len(*a.Latency))
	for k := range *a.Latency {
		p, err := percentileKey(k)
		keys = append(keys, latencyKey{key: k, p: p, err: err})
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].p != keys[j].p {
			return keys[i].p < keys[j].p
		}
		return keys[i].key < keys[j].key
	})

	in := InWindow(tl.Samples[a.Probe], w.Phase)
	total := len(in)
	var lat []time.Duration
	if werr == nil {
		if cap(buf.v) < total {
			buf.v = make([]time.Duration, 0, total)
		}
		lat = buf.v[:0]
		for i := range in {
			if in[i].OK {
				lat = append(lat, in[i].Latency)
			}
		}
	}

	out := make([]Verdict, 0, len(keys))
	for _, k := range keys {
		text := (*a.Latency)[k.key]
		v := base
		v.Name = join(a.Probe, "latency "+k.key, w.Label)
		v.Bound = k.key + " " + text
		v.Measured = unmeasured
		bound, err := a.LatencyBound(k.key)
		switch {
		case werr != nil:
			v.Detail = werr.Error()
		case k.err != nil:
			v.Detail = k.err.Error()
		case err != nil:
			v.Detail = err.Error()
		case total == 0:
			v.Detail = DetailNoSamples
		case len(lat) == 0:
			v.Detail = fmt.Sprintf("no ok samples in window (%d failed)", total)
		default:
			rank := nearestRank(k.p, len(lat))
			d := selectKth(lat, rank-1)
			v.Value, v.Measured = d.Seconds(), latencyText(d)
			v.Passed = bound.Holds(d.Seconds())
			v.Detail = fmt.Sprintf("nearest rank %d of %d ok samples (%d failed samples excluded)",
				rank, len(lat), total-len(lat))
		}
		out = append(out, v)
	}
	return out
}

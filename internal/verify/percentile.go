package verify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// percentileKey parses a latency key: p50, p90, p95, p99, p99.9 or max.
func percentileKey(key string) (float64, error) {
	k := strings.TrimSpace(key)
	if k == "max" {
		return 100, nil
	}
	if !strings.HasPrefix(k, "p") {
		return 0, fmt.Errorf("bad latency key %q: want pNN (p50, p99, p99.9) or max", key)
	}
	p, err := strconv.ParseFloat(k[1:], 64)
	if err != nil || p <= 0 || p > 100 {
		return 0, fmt.Errorf("bad latency key %q: want pNN with 0 < NN <= 100", key)
	}
	return p, nil
}

// nearestRank is the 1-based nearest rank of percentile p among n values:
// the smallest rank whose share of values reaches p.
func nearestRank(p float64, n int) int {
	// Round away float noise first: 99.9% of 1000 is rank 999, not 1000.
	r := int(math.Ceil(math.Round(p*float64(n)*1e6)/1e8 - 1e-9))
	if r < 1 {
		r = 1
	}
	if r > n {
		r = n
	}
	return r
}

// selectKth puts the k-th smallest (0-based) value of v at v[k], with every
// smaller value before it and every larger one after it, in expected linear
// time (quickselect with a three-way partition, so runs of equal latencies
// do not degrade it). Successive calls on the same slice stay correct.
func selectKth(v []time.Duration, k int) time.Duration {
	lo, hi := 0, len(v)-1
	seed := uint64(len(v))*0x9E3779B97F4A7C15 | 1
	for lo < hi {
		// xorshift: a cheap, deterministic pseudo-random pivot.
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		pivot := v[lo+int(seed%uint64(hi-lo+1))]
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case v[i] < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case v[i] > pivot:
				v[i], v[gt] = v[gt], v[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return v[k]
		}
	}
	return v[k]
}

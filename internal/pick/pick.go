// Package pick draws the seeded random subsets that `count:`, `percent:`
// and `seed:` select: libvirt domains, processes and hosts alike, so a
// seed recorded in one journal replays the same picks everywhere.
package pick

import (
	"errors"
	"math"
	"math/rand/v2"
)

// stream fixes the generator's second word; changing it would change
// every recorded seed's picks.
const stream = 0x66617574

// NewSeed chooses a seed for a selection that names none (it is recorded,
// so the run can be replayed).
func NewSeed() int64 { return rand.Int64N(math.MaxInt32) }

// Check returns the errors of a count/percent pair: negative, out of
// range, or both set.
func Check(count int, percent float64) []error {
	var errs []error
	if count < 0 {
		errs = append(errs, errors.New("count must not be negative"))
	}
	if percent < 0 || percent > 100 || math.IsNaN(percent) {
		errs = append(errs, errors.New("percent must be within 0..100"))
	}
	if count != 0 && percent != 0 {
		errs = append(errs, errors.New("count and percent are exclusive"))
	}
	return errs
}

// Size is how many of n candidates a selection takes: all of them, count
// (at most n), or percent of them rounded up.
func Size(n, count int, percent float64) int {
	switch {
	case count > 0:
		return min(count, n)
	case percent > 0:
		return min(n, int(math.Ceil(float64(n)*percent/100)))
	}
	return n
}

// Shuffle permutes n candidates (already in a stable order) with the
// seed; the caller then keeps the first Size of them.
func Shuffle(n int, seed int64, swap func(i, j int)) {
	rand.New(rand.NewPCG(uint64(seed), stream)).Shuffle(n, swap)
}

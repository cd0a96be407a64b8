package experiments

import "github.com/faultline/faultline/internal/measure"

// Duration, Comparison and their parsers live in internal/measure, a leaf
// that verify and reports share without importing the format's loader.
type (
	Duration   = measure.Duration
	Comparison = measure.Comparison
)

// MaxDuration is the longest duration a file may write (see measure).
const MaxDuration = measure.MaxDuration

// ParseDuration parses a non-negative duration with a unit, at most MaxDuration.
func ParseDuration(s string) (Duration, error) { return measure.ParseDuration(s) }

// ParseComparison parses "<op> N", "<op> N%" or "<op> DURATION".
func ParseComparison(s string) (Comparison, error) { return measure.ParseComparison(s) }

// ParsePercent parses "90%" (for abortWhen.availabilityBelow).
func ParsePercent(s string) (float64, error) { return measure.ParsePercent(s) }

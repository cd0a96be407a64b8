package verify

import (
	"fmt"
	"strconv"
	"time"

	"github.com/faultline/faultline/experiments"
)

// seconds formats a span the way verdicts show times: "4.213s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// latencyText formats a latency to the microsecond: "183.214ms".
func latencyText(d time.Duration) string { return d.Round(time.Microsecond).String() }

// percentText formats a percentage with two decimals, or more when two
// would round it across the bound (99.996% must not read "100.00%" next to
// a failed ">= 99.999%").
func percentText(v float64, bound experiments.Comparison, haveBound bool) string {
	for prec := 2; prec <= 8; prec++ {
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if !haveBound {
			return s + "%"
		}
		shown, err := strconv.ParseFloat(s, 64)
		if err == nil && bound.Holds(shown) == bound.Holds(v) {
			return s + "%"
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// valueText formats a probe value: integers without decimals.
func valueText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

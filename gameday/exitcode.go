package gameday

import "github.com/faultline/faultline/engine"

// severity orders exit codes for "the worst one wins": an infrastructure
// error (4: something may still be injected, run recover) outranks an
// invalid experiment or failed preflight (2: the suite itself is broken),
// which outranks an abort (3: stopped and reverted, nothing proven), which
// outranks a failed verification (1: it ran and a bound did not hold).
var severity = map[int]int{
	engine.ExitPassed:  0,
	engine.ExitFailed:  1,
	engine.ExitAborted: 2,
	engine.ExitInvalid: 3,
	engine.ExitInfra:   4,
}

// Worst returns the most severe of the exit codes (0 for none). Codes
// outside the table rank as infrastructure errors.
func Worst(codes ...int) int {
	worst, rank := 0, 0
	for _, c := range codes {
		r, ok := severity[c]
		if !ok {
			r = 5
		}
		if r > rank {
			worst, rank = c, r
		}
	}
	return worst
}

// Package exitcode holds faultline's exit codes, what each means and which
// outranks which when several runs end in one (a game day, a suite). It
// imports nothing of faultline, so the engine, reports, game days and the
// command line all read the codes from here and none writes a number.
package exitcode

// The exit codes (DESIGN.md). They are plain ints: they travel in journals,
// reports and os.Exit as such.
const (
	// Passed: every verification held.
	Passed = 0
	// Failed: the run went through and a verification did not hold.
	Failed = 1
	// Invalid: an invalid experiment, a refused plan or a failed
	// preflight (also a usage error); nothing was injected.
	Invalid = 2
	// Aborted: stopped (abortWhen, a signal, a halt, an unhealthy steady
	// state) and reverted; nothing was proven.
	Aborted = 3
	// Infra: an infrastructure error; something may still be injected,
	// run `faultline recover`.
	Infra = 4
)

// Meaning is one line about a code, for help texts and reports.
func Meaning(code int) string {
	switch code {
	case Passed:
		return "passed: every verification held"
	case Failed:
		return "failed: a verification did not hold"
	case Invalid:
		return "invalid: bad experiment, refused plan or failed preflight; nothing was injected"
	case Aborted:
		return "aborted: stopped and reverted; nothing proven"
	case Infra:
		return "infrastructure error: something may still be injected; run `faultline recover`"
	}
	return "unknown exit code"
}

// rank orders codes for "the worst one wins": an infrastructure error
// (something may still be injected) outranks an invalid experiment or
// failed preflight (the suite itself is broken), which outranks an abort
// (stopped and reverted, nothing proven), which outranks a failed
// verification (it ran and a bound did not hold).
func rank(code int) int {
	switch code {
	case Passed:
		return 0
	case Failed:
		return 1
	case Aborted:
		return 2
	case Invalid:
		return 3
	case Infra:
		return 4
	}
	return 5 // unknown codes rank above everything: treat them as the worst
}

// Worst returns the most severe of the codes (Passed for none).
func Worst(codes ...int) int {
	worst, r := Passed, 0
	for _, c := range codes {
		if cr := rank(c); cr > r {
			worst, r = c, cr
		}
	}
	return worst
}

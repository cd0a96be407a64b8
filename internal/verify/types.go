// Package verify evaluates an experiment's assertions over the record of a
// run (a Timeline that TimelineOf rebuilds from the journal: the window
// rules live here, beside the windows) and returns verdicts that each
// carry their measured value. It does no I/O: a report and the run that
// wrote the journal get the same verdicts because both call Evaluate.
package verify

import (
	"time"

	"github.com/faultline/faultline/internal/measure"
)

// Timeline is what a run recorded. Every time is an offset from the run's
// monotonic start (when probing began).
type Timeline struct {
	// MethodStart is when the method (the steps) began: `at` offsets count from it.
	MethodStart time.Duration
	// MethodEnd is when observe ended and the final reverts began.
	MethodEnd time.Duration
	// End is when probing stopped (after the final reverts and the
	// steady-state check after the run). The whole-run window is [MethodStart, End].
	End time.Duration
	// Steps by name; a step that never ran is absent.
	Steps map[string]StepTimes
	// Samples per probe, sorted by Start.
	Samples map[string][]measure.Sample
	// SteadyBefore / SteadyAfter: the phases in which the steady state was
	// checked before the first step and after the end (zero if not reached).
	SteadyBefore Phase
	SteadyAfter  Phase
}

// Phase is a span of the run.
type Phase struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// StepTimes records when a step injected and reverted.
type StepTimes struct {
	Injected bool          `json:"injected"`
	Inject   time.Duration `json:"inject"` // when the inject began (the `after: STEP` moment)
	// InjectDone is when the inject call returned: from then on the fault
	// is fully in effect, so `during` windows start there (0 = at Inject).
	InjectDone time.Duration `json:"injectDone,omitempty"`
	Reverted   bool          `json:"reverted"`
	Revert     time.Duration `json:"revert"` // valid when Reverted
	Failed     bool          `json:"failed"`
	Error      string        `json:"error,omitempty"`
}

// Verdict is the outcome of one assertion.
type Verdict struct {
	// Name is a stable, human id: "web availability during axe-a".
	Name string `json:"name"`
	// Kind: steadyState, availability, maxOutage, reaches, latency, never.
	Kind  string `json:"kind"`
	Probe string `json:"probe"`
	// Bound is the assertion as written (">= 99.5%", "3s", "p99 < 200ms").
	Bound string `json:"bound"`
	// Measured is the measured value in human form ("99.82%", "2.004s").
	Measured string `json:"measured"`
	// Value is the measured value as a number (percent, seconds, count).
	Value  float64 `json:"value"`
	Passed bool    `json:"passed"`
	// Detail explains a failure or an unmeasurable case ("no samples in window").
	Detail string `json:"detail,omitempty"`
	// Window is the span the assertion covered.
	Window Phase `json:"window"`
	// Line in the experiment file, for pointing at the source.
	Line int `json:"line,omitempty"`
}

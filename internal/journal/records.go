// Package journal writes and reads the run journal: JSON Lines, the single
// source of truth of a run. Reports, verdicts and crash recovery all read it.
//
// Record types (field "t"):
//
//	run    header: run id, experiment, wall-clock start, host, versions
//	phase  a phase boundary: steady-before, method, method-end, steady-after, end
//	step   a step event: prepared (carries the undo record; fsync'd before
//	       the fault is injected), injected, reverted, failed, done (action)
//	s      one probe's samples within one second, compact (see samplesLine)
//	abort  a stop condition or signal, with the reason
//	host   a remote host at the end of the run: its agent, and how well
//	       its clock was mapped onto this one
//	end    final status and exit code
//
// Every time is a monotonic offset in nanoseconds from the run's start.
package journal

import (
	"encoding/json"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/procid"
)

// FormatVersion is the journal format version written in the header.
const FormatVersion = 1

// Phase names.
const (
	PhaseSteadyBefore = "steady-before"
	PhaseMethod       = "method"
	PhaseMethodEnd    = "method-end"
	PhaseSteadyAfter  = "steady-after"
	PhaseEnd          = "end"
)

// Step events.
const (
	EvPrepared = "prepared"
	EvInjected = "injected"
	EvReverted = "reverted"
	EvFailed   = "failed"
	EvDone     = "done"
	EvStarted  = "started" // an action began
)

// Run statuses.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusAborted = "aborted"
	StatusError   = "error"
	StatusInvalid = "invalid"
)

// Header is the first record of a journal.
type Header struct {
	T          string                  `json:"t"`
	Format     int                     `json:"format"`
	Run        string                  `json:"run"`
	File       string                  `json:"file,omitempty"`
	Experiment *experiments.Experiment `json:"experiment"`
	Wall       time.Time               `json:"wall"`
	Host       string                  `json:"host,omitempty"`
	Version    string                  `json:"version,omitempty"`
	Kernel     string                  `json:"kernel,omitempty"`
	Seed       int64                   `json:"seed,omitempty"`
	PID        int                     `json:"pid,omitempty"`
	// Runner names the process writing the journal (pid, start time,
	// boot): recover leaves the run alone while that process lives.
	Runner *procid.ID `json:"runner,omitempty"`
}

// PhaseRec marks a phase boundary.
type PhaseRec struct {
	T    string        `json:"t"`
	Name string        `json:"name"`
	At   time.Duration `json:"at"`
}

// StepRec is a step event.
type StepRec struct {
	T       string          `json:"t"`
	Step    string          `json:"step"`
	Ev      string          `json:"ev"`
	At      time.Duration   `json:"at"`
	Kind    string          `json:"kind,omitempty"`
	Desc    string          `json:"desc,omitempty"`
	Targets []faults.Target `json:"targets,omitempty"`
	Undo    *faults.Undo    `json:"undo,omitempty"`
	// Revert is "auto" or "never" (on prepared records): recovery reverts auto only.
	Revert string `json:"revert,omitempty"`
	// Done is, on injected records, when the inject call returned (At is
	// when it began).
	Done   time.Duration  `json:"done,omitempty"`
	Error  string         `json:"error,omitempty"`
	Result faults.Result  `json:"result,omitempty"`
	By     string         `json:"by,omitempty"` // who reverted: run, guard, recover
	Extra  map[string]any `json:"extra,omitempty"`
}

// AbortRec records why a run stopped early.
type AbortRec struct {
	T      string        `json:"t"`
	At     time.Duration `json:"at"`
	Reason string        `json:"reason"`
}

// HostRec is one remote host at the end of a run: how it was reached,
// the agent's own journal there, and how its monotonic clock was mapped
// onto this one (offset estimated from heartbeat round trips). Samples
// and step stamps from the host are off by at most ClockWorst (the
// largest error of an estimate a stamp was mapped with); ClockError is
// the final estimate's.
type HostRec struct {
	T          string        `json:"t"` // "host"
	Host       string        `json:"host"`
	Addr       string        `json:"addr,omitempty"`
	AgentPID   int           `json:"agentPid,omitempty"`
	Journal    string        `json:"agentJournal,omitempty"`
	ClockError time.Duration `json:"clockError"`
	ClockWorst time.Duration `json:"clockWorst,omitempty"`
	Offset     time.Duration `json:"clockOffset"`
	RTT        time.Duration `json:"rtt"`
	Samples    int           `json:"clockSamples"`
}

// Bound is what a stamp from the host may be off by at most.
func (h HostRec) Bound() time.Duration { return max(h.ClockError, h.ClockWorst) }

// EndRec is the last record.
type EndRec struct {
	T      string        `json:"t"`
	At     time.Duration `json:"at"`
	Status string        `json:"status"`
	Exit   int           `json:"exit"`
	Error  string        `json:"error,omitempty"`
}

// envelope peeks at the type of a line.
type envelope struct {
	T string `json:"t"`
}

func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

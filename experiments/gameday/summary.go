package gameday

import (
	"time"

	"github.com/faultline/faultline/internal/journal"

	"github.com/faultline/faultline/internal/verify"
	"github.com/faultline/faultline/reports"
)

// Statuses of a game day and of its experiments, beyond the journal's
// passed, failed, aborted and error.
const (
	StatusPassed  = journal.StatusPassed
	StatusFailed  = journal.StatusFailed
	StatusAborted = journal.StatusAborted
	StatusError   = journal.StatusError
	// StatusInvalid: the plan or its preflight failed; nothing was injected (exit 2).
	StatusInvalid = journal.StatusInvalid
	// StatusRefused: outside the window, or `requires` did not hold; nothing was injected (exit 3).
	StatusRefused = "refused"
	// StatusSkipped: not started (stopOnFailure, the window closed, or a signal).
	StatusSkipped = "skipped"
)

// Summary is one game day: what summary.json holds and the webhook receives.
type Summary struct {
	GameDay  string    `json:"gameday"`
	File     string    `json:"file"`
	Run      string    `json:"run"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Duration in seconds.
	Duration    float64            `json:"duration"`
	Status      string             `json:"status"`
	Exit        int                `json:"exit"`
	Message     string             `json:"message,omitempty"`
	Window      string             `json:"window,omitempty"`
	Host        string             `json:"host,omitempty"`
	Experiments []ExperimentResult `json:"experiments"`

	// Reports of the experiments that ran, in order (not serialized).
	Reports []*reports.Report `json:"-"`
}

// ExperimentResult is one experiment of a game day.
type ExperimentResult struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Dir is the experiment's directory, relative to the game day's.
	Dir      string    `json:"dir,omitempty"`
	Run      string    `json:"run,omitempty"`
	Status   string    `json:"status"`
	Exit     int       `json:"exit"`
	Headline string    `json:"headline,omitempty"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	// Duration in seconds.
	Duration float64          `json:"duration,omitempty"`
	Verdicts []verify.Verdict `json:"verdicts,omitempty"`
	Probes   []reports.Probe  `json:"probes,omitempty"`
	// Files written in Dir (report.json, summary.md, ...).
	Files []string `json:"files,omitempty"`
}

// Ran reports whether the experiment was started at all.
func (e *ExperimentResult) Ran() bool {
	return e.Status != StatusSkipped && e.Status != StatusRefused && e.Status != StatusInvalid
}

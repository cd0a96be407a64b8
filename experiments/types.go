// Package experiments holds the experiment format, version 1: its types,
// a strict loader that reports every error with file:line:column, semantic
// validation and the JSON Schema. It knows fault kinds only by name, through
// the faults registry, never the drivers themselves.
package experiments

import (
	"time"
)

// Experiment is one experiment file, version 1 (DESIGN.md is normative).
type Experiment struct {
	Version     int               `yaml:"version" json:"version"`
	Name        string            `yaml:"name" json:"name"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Probes      map[string]*Probe `yaml:"probes,omitempty" json:"probes,omitempty"`
	SteadyState []SteadyState     `yaml:"steadyState,omitempty" json:"steadyState,omitempty"`
	Steps       []*Step           `yaml:"steps,omitempty" json:"steps,omitempty"`
	Observe     Duration          `yaml:"observe,omitempty" json:"observe,omitempty"`
	Verify      []Verify          `yaml:"verify,omitempty" json:"verify,omitempty"`
	AbortWhen   []AbortWhen       `yaml:"abortWhen,omitempty" json:"abortWhen,omitempty"`
	Safety      Safety            `yaml:"safety,omitempty" json:"safety,omitempty"`

	// File is the path it was loaded from; not part of the format.
	File string `yaml:"-" json:"file,omitempty"`
	// ProbeOrder lists probe names in file order (maps lose it).
	ProbeOrder []string `yaml:"-" json:"probeOrder,omitempty"`
}

// Probe is one named probe. Exactly one of the kind fields is set.
type Probe struct {
	HTTP    *HTTPProbe    `yaml:"http,omitempty" json:"http,omitempty"`
	TCP     *TCPProbe     `yaml:"tcp,omitempty" json:"tcp,omitempty"`
	Exec    *ExecProbe    `yaml:"exec,omitempty" json:"exec,omitempty"`
	Libvirt *LibvirtProbe `yaml:"libvirt,omitempty" json:"libvirt,omitempty"`
	Every   Duration      `yaml:"every,omitempty" json:"every,omitempty"` // default 100ms, minimum 1ms
	Netns   string        `yaml:"netns,omitempty" json:"netns,omitempty"`
}

// DefaultEvery is the sampling interval of a probe that sets none.
const DefaultEvery = 100 * time.Millisecond

// Interval is the probe's sampling interval with the default applied.
func (p *Probe) Interval() time.Duration {
	if p.Every.D() <= 0 {
		return DefaultEvery
	}
	return p.Every.D()
}

// Kind names the probe kind that is set ("http", "tcp", "exec", "libvirt").
func (p *Probe) Kind() string {
	switch {
	case p.HTTP != nil:
		return "http"
	case p.TCP != nil:
		return "tcp"
	case p.Exec != nil:
		return "exec"
	case p.Libvirt != nil:
		return "libvirt"
	}
	return ""
}

type HTTPProbe struct {
	URL     string   `yaml:"url" json:"url"`
	Status  int      `yaml:"status,omitempty" json:"status,omitempty"` // default 200
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

type TCPProbe struct {
	Address string   `yaml:"address" json:"address"`
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

type ExecProbe struct {
	Command    []string `yaml:"command" json:"command"`
	ExpectExit *int     `yaml:"expectExit,omitempty" json:"expectExit,omitempty"` // default 0
	Timeout    Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// LibvirtProbe counts domains matching a glob in a state across URIs.
// SplitBrain makes a sample fail when one domain runs on two hypervisors.
type LibvirtProbe struct {
	URIs       []string `yaml:"uris" json:"uris"`
	Domains    string   `yaml:"domains" json:"domains"`
	State      string   `yaml:"state,omitempty" json:"state,omitempty"` // default running
	SplitBrain bool     `yaml:"splitBrain,omitempty" json:"splitBrain,omitempty"`
	Timeout    Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// SteadyState must hold before the first step and after the end.
type SteadyState struct {
	Probe string   `yaml:"probe" json:"probe"`
	For   Duration `yaml:"for" json:"for"`
	Line  int      `yaml:"-" json:"line,omitempty"`
}

// Step is a fault or an action of the method.
type Step struct {
	Name     string         `yaml:"name" json:"name"`
	Fault    string         `yaml:"fault,omitempty" json:"fault,omitempty"`
	Action   string         `yaml:"action,omitempty" json:"action,omitempty"`
	With     map[string]any `yaml:"with,omitempty" json:"with,omitempty"`
	At       *Duration      `yaml:"at,omitempty" json:"at,omitempty"`
	Wait     Duration       `yaml:"wait,omitempty" json:"wait,omitempty"`
	Duration Duration       `yaml:"duration,omitempty" json:"duration,omitempty"` // 0 = held until the end
	Revert   string         `yaml:"revert,omitempty" json:"revert,omitempty"`     // auto (default) | never

	// Line is the step's line in the file, for errors found after loading.
	Line int `yaml:"-" json:"line,omitempty"`
}

// Kind is the fault or action name of the step.
func (s *Step) Kind() string {
	if s.Fault != "" {
		return s.Fault
	}
	return s.Action
}

// RevertAuto reports whether faultline reverts the step itself.
func (s *Step) RevertAuto() bool { return s.Revert == "" || s.Revert == "auto" }

// Verify is one assertion over the journal. Exactly one of Availability,
// MaxOutage, Reaches, Latency, Never is set.
type Verify struct {
	Probe        string    `yaml:"probe" json:"probe"`
	Availability string    `yaml:"availability,omitempty" json:"availability,omitempty"` // ">= 99.5%"
	MaxOutage    *Duration `yaml:"maxOutage,omitempty" json:"maxOutage,omitempty"`
	Reaches      string    `yaml:"reaches,omitempty" json:"reaches,omitempty"` // "ok" | "<op> N"
	Within       *Duration `yaml:"within,omitempty" json:"within,omitempty"`
	After        string    `yaml:"after,omitempty" json:"after,omitempty"` // STEP | STEP.end
	During       string    `yaml:"during,omitempty" json:"during,omitempty"`
	Latency      *Latency  `yaml:"latency,omitempty" json:"latency,omitempty"`
	Never        string    `yaml:"never,omitempty" json:"never,omitempty"` // "ok"
	Line         int       `yaml:"-" json:"line,omitempty"`
}

// Latency bounds percentiles: keys p50, p90, p95, p99, p99.9, max; values "< 200ms".
type Latency map[string]string

// AbortWhen is a stop condition.
type AbortWhen struct {
	Probe             string    `yaml:"probe" json:"probe"`
	OutageLongerThan  *Duration `yaml:"outageLongerThan,omitempty" json:"outageLongerThan,omitempty"`
	AvailabilityBelow string    `yaml:"availabilityBelow,omitempty" json:"availabilityBelow,omitempty"` // "90%"
	Window            *Duration `yaml:"window,omitempty" json:"window,omitempty"`                       // default 10s
}

type Safety struct {
	MaxTargets   int      `yaml:"maxTargets,omitempty" json:"maxTargets,omitempty"`
	GuardTTL     Duration `yaml:"guardTTL,omitempty" json:"guardTTL,omitempty"`
	AllowLockout bool     `yaml:"allowLockout,omitempty" json:"allowLockout,omitempty"`
}

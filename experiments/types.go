// Package experiments holds the experiment format, version 1: its types,
// its loader (strict decoding by internal/strictyaml, every error with
// file:line:column and field), semantic validation, the JSON Schema and
// the parameter lists of every kind. It knows fault kinds only by name, through
// the faults registry, never the drivers themselves.
package experiments

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/faultline/faultline/internal/hosts"
	"github.com/faultline/faultline/internal/probes"
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
	// Hosts that steps and probes name in `on:` (see hosts.go).
	Inventory    string         `yaml:"inventory,omitempty" json:"inventory,omitempty"`
	HostDefaults map[string]any `yaml:"hostDefaults,omitempty" json:"hostDefaults,omitempty"`
	Hosts        map[string]any `yaml:"hosts,omitempty" json:"hosts,omitempty"`

	// HostSet is every host `on:` may name, resolved when the file is
	// loaded; the journal keeps it, so recover reaches the same hosts.
	HostSet *hosts.Set `yaml:"-" json:"hostSet,omitempty"`

	// File is the path it was loaded from; not part of the format.
	File string `yaml:"-" json:"file,omitempty"`
	// ProbeOrder lists probe names in file order (maps lose it).
	ProbeOrder []string `yaml:"-" json:"probeOrder,omitempty"`
}

// Probe is one named probe: one probe kind, written as a key of its own
// (`http: {...}`), plus how often and where it runs.
type Probe struct {
	Inline `yaml:",inline"`
	Every  Duration `yaml:"every,omitempty" json:"every,omitempty"` // default: the kind's (100ms for most); minimum 1ms
	Netns  string   `yaml:"netns,omitempty" json:"netns,omitempty"`
	// On is the one host the probe runs on; "" = this machine.
	On string `yaml:"on,omitempty" json:"on,omitempty"`
	// Host is the host On resolved to (not part of the format).
	Host string `yaml:"-" json:"host,omitempty"`
}

// Inline is a probe kind as an experiment writes it: the key that names a
// kind registered in probes (http, tcp, exec, libvirt, prometheus...) and
// its parameters, which the kind itself checks.
type Inline struct {
	Kind string         `yaml:"-" json:"-"`
	With map[string]any `yaml:"-" json:"-"`
}

// DefaultEvery is the sampling interval of a probe that sets none (kinds
// may name their own, e.g. prometheus 5s).
const DefaultEvery = probes.DefaultEvery

// Def is the probe as the probes registry takes it.
func (p *Probe) Def(name string) probes.Def {
	return inlineDef(name, p.Inline, p.Every, p.Netns)
}

func inlineDef(name string, in Inline, every Duration, netns string) probes.Def {
	params, err := json.Marshal(in.With)
	if err != nil || in.With == nil {
		params = []byte("{}")
	}
	return probes.Def{Name: name, Kind: in.Kind, Params: params, Every: every.D(), Netns: netns}
}

// Interval is the probe's sampling interval with its kind's default applied.
func (p *Probe) Interval() time.Duration { return p.Def("").Interval() }

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
	// On selects the hosts the step runs on (a name, a glob or
	// group:NAME; Count or Percent of them, picked with Seed); "" = this
	// machine. Hosts is what it resolved to (not part of the format).
	On      string   `yaml:"on,omitempty" json:"on,omitempty"`
	Count   int      `yaml:"count,omitempty" json:"count,omitempty"`
	Percent int      `yaml:"percent,omitempty" json:"percent,omitempty"`
	Seed    *int     `yaml:"seed,omitempty" json:"seed,omitempty"`
	Hosts   []string `yaml:"-" json:"hosts,omitempty"`

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
// MaxOutage, Reaches, Latency, Never, Entered is set.
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
	// Entered counts the times the probe's value entered a condition
	// ("== 0"), bounded by Times ("== 1"): a host powered off exactly once.
	Entered string `yaml:"entered,omitempty" json:"entered,omitempty"`
	Times   string `yaml:"times,omitempty" json:"times,omitempty"`
	Line    int    `yaml:"-" json:"line,omitempty"`

	parsed *parsedBounds // see verify_bounds.go
}

// Latency bounds percentiles: keys p50, p90, p95, p99, p99.9, max; values "< 200ms".
type Latency map[string]string

// AbortWhen is a stop condition over a named probe, or over a probe kind
// written inline (`prometheus: {url, query}`), which Load turns into a
// probe of its own named abortProbeName(i).
type AbortWhen struct {
	Inline            `yaml:",inline"`
	Probe             string    `yaml:"probe,omitempty" json:"probe"`
	OutageLongerThan  *Duration `yaml:"outageLongerThan,omitempty" json:"outageLongerThan,omitempty"`
	AvailabilityBelow string    `yaml:"availabilityBelow,omitempty" json:"availabilityBelow,omitempty"` // "90%"
	Window            *Duration `yaml:"window,omitempty" json:"window,omitempty"`                       // default 10s
	// For: abort once the probe has been ok (the condition true) this long.
	For *Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Every and Netns: how often and where an inline condition is sampled.
	Every Duration `yaml:"every,omitempty" json:"every,omitempty"`
	Netns string   `yaml:"netns,omitempty" json:"netns,omitempty"`

	parsed *parsedBounds // see verify_bounds.go
}

// abortProbeName names the probe Load makes of abortWhen[i]'s inline condition.
func abortProbeName(i int) string { return "abortWhen[" + strconv.Itoa(i) + "]" }

type Safety struct {
	MaxTargets   int      `yaml:"maxTargets,omitempty" json:"maxTargets,omitempty"`
	GuardTTL     Duration `yaml:"guardTTL,omitempty" json:"guardTTL,omitempty"`
	AllowLockout bool     `yaml:"allowLockout,omitempty" json:"allowLockout,omitempty"`
}

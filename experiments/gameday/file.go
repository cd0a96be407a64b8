package gameday

import (
	"github.com/goccy/go-yaml"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/strictyaml"
)

// File is a game-day file, version 1.
type File struct {
	Version       int                  `yaml:"version"`
	Name          string               `yaml:"name"`
	Description   string               `yaml:"description,omitempty"`
	Experiments   []Entry              `yaml:"experiments"`
	Cooldown      experiments.Duration `yaml:"cooldown,omitempty"`
	StopOnFailure bool                 `yaml:"stopOnFailure,omitempty"`
	Window        *WindowSpec          `yaml:"window,omitempty"`
	Requires      []Require            `yaml:"requires,omitempty"`
	Schedule      string               `yaml:"schedule,omitempty"`
	Notify        *Notify              `yaml:"notify,omitempty"`
}

// Entry is one item of `experiments`: a path or glob relative to the
// game-day file, written as a plain string, or {path, overrides}.
type Entry struct {
	Path string
	// Overrides replace top-level fields of each matched experiment, as a
	// JSON merge patch (RFC 7386): mappings merge key by key, anything
	// else replaces, null removes the field.
	Overrides yaml.MapSlice
}

// UnmarshalYAMLNode accepts "path" or {path: ..., overrides: {...}}.
func (e *Entry) UnmarshalYAMLNode(n strictyaml.Node) {
	if s, ok := n.Scalar(); ok {
		if s.Kind != "string" {
			n.Failf("want a path or {path, overrides}, got %s", n.Describe())
			return
		}
		e.Path = s.Text
		return
	}
	var m struct {
		Path      string         `yaml:"path"`
		Overrides map[string]any `yaml:"overrides,omitempty"`
	}
	n.Decode(&m)
	e.Path = m.Path
	if len(m.Overrides) > 0 {
		e.Overrides, _ = asMapSlice(m.Overrides)
	}
}

// WindowSpec is when experiments may start.
type WindowSpec struct {
	Days     []string `yaml:"days,omitempty"`     // mon..sun; empty = every day
	Hours    string   `yaml:"hours,omitempty"`    // "09:00-16:00"; empty = all day
	Timezone string   `yaml:"timezone,omitempty"` // IANA name; empty = the machine's local time
}

// Require is a steady-state gate checked before each experiment: the probe
// (any experiment probe kind) must be ok continuously for `for`, within
// `within` (default `for` + 30s), or the experiment does not start.
type Require struct {
	Name              string `yaml:"name"`
	experiments.Probe `yaml:",inline"`
	For               experiments.Duration `yaml:"for"`
	Within            experiments.Duration `yaml:"within,omitempty"`
}

// Notify says where to report each game day.
type Notify struct {
	// Webhook receives a POST of the JSON summary after each game day.
	Webhook string `yaml:"webhook"`
}

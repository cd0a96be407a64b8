package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/nsutil/nsname"
)

// DefaultEvery is the sampling interval of a probe that sets none and
// whose kind names no default of its own.
const DefaultEvery = 100 * time.Millisecond

// MinEvery is the shortest interval any probe may set; a kind may ask for more.
const MinEvery = time.Millisecond

// Value says what a kind's sample value means, so reports draw it right.
type Value string

const (
	// ValueStatus is a status code (HTTP): ok or not is what matters.
	ValueStatus Value = "status"
	// ValueBool is 1 or 0: the sample's ok says it all.
	ValueBool Value = "bool"
	// ValueCount is a count worth drawing (domains running).
	ValueCount Value = "count"
	// ValueNumber is a measured number worth drawing (a metric, a printed number).
	ValueNumber Value = "number"
)

// Charted reports whether the value is worth a chart of its own.
func (v Value) Charted() bool { return v == ValueCount || v == ValueNumber }

// Def is one probe as the experiment states it: its kind's parameters as
// JSON (the experiment's `http: {...}` mapping), its interval and namespace.
type Def struct {
	Name   string
	Kind   string
	Params json.RawMessage
	// Every is the sampling interval; 0 means the kind's default.
	Every time.Duration
	Netns string
}

// Interval is the sampling interval with the kind's default applied.
func (d Def) Interval() time.Duration {
	if d.Every > 0 {
		return d.Every
	}
	if k, ok := Lookup(d.Kind); ok && k.DefaultEvery > 0 {
		return k.DefaultEvery
	}
	return DefaultEvery
}

// Kind is one registered probe kind.
type Kind struct {
	// Name is the key that selects the kind on a probe (`http:`).
	Name string
	// Doc is one line for `faultline kinds`, the schema and the README.
	Doc string
	// Value says what a sample's value means.
	Value Value
	// Params is a zero value of the kind's parameter struct: its json
	// tags (and doc, required, enum, min, max, pattern tags) make the kind's
	// JSON Schema. Decode the parameters into it with DecodeParams.
	Params any
	// DefaultEvery is the interval when the probe sets none (0: DefaultEvery).
	DefaultEvery time.Duration
	// MinEvery is the shortest interval allowed (0: MinEvery).
	MinEvery time.Duration
	// New validates a definition strictly and prepares a prober; it touches
	// nothing (no connection, no process) until the sampler runs it.
	// Errors name the parameter with a ParamError where they can.
	New func(d Def) (Prober, error)
}

// Preflighter is implemented by probers that can check, before anything
// is injected, that what they read from is there (a Prometheus server
// that answers, a query it parses).
type Preflighter interface {
	Preflight(ctx context.Context) error
}

var (
	regMu sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a probe kind; registering a name twice panics.
func Register(k Kind) {
	regMu.Lock()
	defer regMu.Unlock()
	switch {
	case k.Name == "":
		panic("probes: Register with empty name")
	case k.New == nil:
		panic("probes: kind " + k.Name + " has no New")
	case k.Value == "":
		panic("probes: kind " + k.Name + " does not say what its value is")
	}
	if _, dup := kinds[k.Name]; dup {
		panic("probes: kind registered twice: " + k.Name)
	}
	kinds[k.Name] = k
}

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Names lists the registered kinds, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New builds the prober for a definition through its kind.
func New(d Def) (Prober, error) {
	if err := nsname.Validate(d.Netns); err != nil {
		return nil, fmt.Errorf("probe %s: netns: %w", d.Name, err)
	}
	k, ok := Lookup(d.Kind)
	if !ok {
		return nil, fmt.Errorf("probe %s: kind %q is not available in this build", d.Name, d.Kind)
	}
	if len(d.Params) == 0 {
		d.Params = json.RawMessage("{}")
	}
	return k.New(d)
}

// Package faults defines what a fault is, the registry of fault and action
// kinds, and the undo records that let a fresh process revert a fault.
// It knows nothing about YAML: parameters arrive as JSON.
package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Sentinel errors; drivers wrap them with %w.
var (
	ErrNotFound     = errors.New("not found")
	ErrNotSupported = errors.New("not supported by this kernel")
	ErrPermission   = errors.New("permission denied")
)

// Target is one thing a fault touches, for plans, blast radius and locks.
// Kind is "link", "bridge", "nftables", "qdisc", "domain", "hypervisor",
// "network", "process"; ID identifies it ("netns:hv-a/eth0").
type Target struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (t Target) String() string { return t.Kind + " " + t.ID }

// Undo is an undo record: enough, in a fresh process, to revert a fault.
type Undo struct {
	Kind   string          `json:"kind"`
	Params json.RawMessage `json:"params"`
}

// Fault is one injectable fault instance.
//
// The engine calls Prepare when the step is planned (before its time): it
// snapshots what the revert must restore and returns the undo record, which
// is fsync'd to the journal before Inject runs. Inject should be fast.
// Revert restores the snapshot and is idempotent: reverting twice, or
// reverting something never injected or already healed, succeeds.
type Fault interface {
	Describe() string
	Targets() []Target
	Prepare(ctx context.Context) (Undo, error)
	Inject(ctx context.Context) error
	Revert(ctx context.Context) error
}

// Action is a runbook step (domain.start, exec, wait...): it runs once and
// is not reverted. Result carries measured details for the report.
type Action interface {
	Describe() string
	Targets() []Target
	Run(ctx context.Context) (Result, error)
}

// Result is what an action reports (e.g. migration downtime).
type Result map[string]any

// Preflighter is implemented by faults and actions that can check, at plan
// time and without changing anything, that their targets exist and the
// kernel or hypervisor supports them.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// Kind describes one registered fault or action kind.
type Kind struct {
	Name string
	// Doc is one line for `faultline kinds`, `inject --list` and the schema.
	Doc string
	// Params is a zero value of the struct the kind decodes `with` into:
	// its json tags (and doc, required, default, enum, min, max, pattern
	// tags) make the kind's part of the JSON Schema and its parameter list
	// in `faultline kinds`. Nil (kinds registered by specs): `with` is
	// described as free-form.
	Params any
	// NewFault builds a fault from its `with` parameters (JSON); nil for actions.
	// It validates parameters only, touching nothing.
	NewFault func(params json.RawMessage) (Fault, error)
	// NewAction builds an action; nil for faults.
	NewAction func(params json.RawMessage) (Action, error)
	// Revert reverts from an undo record in a fresh process (recover, guard).
	Revert func(ctx context.Context, params json.RawMessage) error
	// Trust checks, without changing anything, that an undo record read
	// back from a journal names only objects faultline created (its own
	// table prefix and marker, a recorded inode, a recorded UUID). A record
	// that fails is refused and never reverted. Nil: nothing to check.
	Trust func(params json.RawMessage) error
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a kind; registering a name twice panics.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if k.Name == "" {
		panic("faults: Register with empty name")
	}
	if _, dup := kinds[k.Name]; dup {
		panic("faults: kind registered twice: " + k.Name)
	}
	if (k.NewFault == nil) == (k.NewAction == nil) {
		panic("faults: kind " + k.Name + " must have exactly one of NewFault, NewAction")
	}
	if k.NewFault != nil && k.Revert == nil {
		panic("faults: fault kind " + k.Name + " has no Revert")
	}
	kinds[k.Name] = k
}

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Names lists registered kinds, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// IsAction reports whether name is a registered action kind.
func IsAction(name string) bool {
	k, ok := Lookup(name)
	return ok && k.NewAction != nil
}

// RevertUndo reverts from an undo record through its kind's registered Revert.
func RevertUndo(ctx context.Context, u Undo) error {
	k, ok := Lookup(u.Kind)
	if !ok {
		return fmt.Errorf("revert %s: unknown kind: %w", u.Kind, ErrNotFound)
	}
	if k.Revert == nil {
		return nil
	}
	return k.Revert(ctx, u.Params)
}

// ErrUntrusted marks an undo record that does not name objects faultline
// created; recover and the guard refuse it.
var ErrUntrusted = errors.New("undo record not trusted")

// TrustUndo runs the kind's Trust check on an undo record read from a
// journal; errors wrap ErrUntrusted.
func TrustUndo(u Undo) error {
	k, ok := Lookup(u.Kind)
	if !ok {
		return fmt.Errorf("%w: unknown kind %q", ErrUntrusted, u.Kind)
	}
	if k.Trust == nil {
		return nil
	}
	if err := k.Trust(u.Params); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUntrusted, u.Kind, err)
	}
	return nil
}

// DecodeParams strictly decodes JSON params into v: unknown fields are errors.
func DecodeParams(params json.RawMessage, v any) error {
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytesReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("with: %w", err)
	}
	return nil
}

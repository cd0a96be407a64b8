// Package probes holds the registry of probe kinds, the kinds themselves
// (http, tcp, exec, prometheus, libvirt — whose checks faults/virtfault
// plugs in, as they need libvirt's bindings) and the sampler that runs
// them. A new kind is one file here: its parameter struct, a constructor
// and a Register call; experiments, the JSON Schema, game days and the
// reports' charts learn it from the registry.
package probes

import (
	"context"

	"github.com/faultline/faultline/internal/measure"
)

// Sample is one check's outcome (see measure.Sample, a leaf type verify,
// journal and reports share without importing the probes).
type Sample = measure.Sample

// Prober performs one check. It must honour ctx (the sampler gives each
// check a deadline of the probe's timeout) and never panic. The sampler
// stamps Start and, when the prober leaves it zero, Latency.
type Prober interface {
	Check(ctx context.Context) Sample
}

// ProberFunc adapts a function to Prober.
type ProberFunc func(ctx context.Context) Sample

func (f ProberFunc) Check(ctx context.Context) Sample { return f(ctx) }

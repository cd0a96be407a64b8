package probes

import (
	"context"
	"path"
	"strings"
	"sync"
)

// The libvirt probe's parameters and their checks live here, so that any
// build can load and validate an experiment that uses it; the checks
// themselves need libvirt's bindings and are plugged in by faults/virtfault
// (SetLibvirt), which a build links by importing it.

func init() {
	Register(Kind{
		Name:   "libvirt",
		Doc:    "count the domains matching a glob in a state across hypervisors; optionally fail on split brain",
		Value:  ValueCount,
		Params: LibvirtParams{},
		New:    newLibvirt,
	})
}

// LibvirtParams are the parameters of a libvirt probe.
type LibvirtParams struct {
	URIs       []string `json:"uris" required:"true" minItems:"1" doc:"The libvirt connection URIs to count domains on."`
	Domains    string   `json:"domains" required:"true" doc:"A domain name or glob, e.g. web-*."`
	State      string   `json:"state,omitempty" enum:"running paused shutoff active inactive any" default:"running"`
	SplitBrain bool     `json:"splitBrain,omitempty" doc:"Fail a sample when one domain runs on two hypervisors."`
	Timeout    Duration `json:"timeout,omitempty" doc:"Per check; default the interval."`
}

// LibvirtStates are the values of `state`.
var LibvirtStates = []string{"running", "paused", "shutoff", "active", "inactive", "any"}

var (
	libvirtMu   sync.RWMutex
	libvirtImpl func(p LibvirtParams) (Prober, error)
)

// SetLibvirt plugs in the libvirt probe's checks (faults/virtfault does).
func SetLibvirt(f func(p LibvirtParams) (Prober, error)) {
	libvirtMu.Lock()
	defer libvirtMu.Unlock()
	libvirtImpl = f
}

func newLibvirt(d Def) (Prober, error) {
	var p LibvirtParams
	if err := DecodeParams(d.Params, &p); err != nil {
		return nil, err
	}
	if len(p.URIs) == 0 {
		return nil, Errorf("uris", "missing: the libvirt connection URIs to count domains on")
	}
	for i, u := range p.URIs {
		if strings.TrimSpace(u) == "" {
			return nil, Errorf("uris", "URI %d is empty", i)
		}
	}
	if p.Domains == "" {
		return nil, Errorf("domains", "missing: a domain name or glob, e.g. web-*")
	}
	if _, err := path.Match(p.Domains, ""); err != nil {
		return nil, Errorf("domains", "bad glob %q: %v", p.Domains, err)
	}
	if p.State != "" && !contains(LibvirtStates, p.State) {
		return nil, Errorf("state", "state %q is not one of %s", p.State, strings.Join(LibvirtStates, ", "))
	}
	libvirtMu.RLock()
	impl := libvirtImpl
	libvirtMu.RUnlock()
	if impl == nil {
		return noLibvirt{}, nil
	}
	return impl(p)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// noLibvirt stands in when the build has no libvirt: the file validates,
// the run stops at preflight.
type noLibvirt struct{}

func (noLibvirt) Preflight(context.Context) error {
	return errLibvirtMissing
}

func (noLibvirt) Check(context.Context) Sample { return Sample{Detail: errLibvirtMissing.Error()} }

var errLibvirtMissing = &ParamError{Msg: "libvirt probes need a faultline built with libvirt (faults/virtfault)"}

package virtfault

import (
	"encoding/json"
	"errors"

	"github.com/faultline/faultline/faults"
)

// hypervisorParams: hypervisor.destroy's `with`. Domains narrows the axe
// to a glob (default: every running domain).
type hypervisorParams struct {
	URI     string `json:"uri" required:"true"`
	Domains string `json:"domains,omitempty" doc:"a glob; default every running domain"`
}

// hypervisorFault destroys every running domain on one connection at
// once; the undo record lists them by UUID and the revert starts them.
type hypervisorFault struct{ *domainFault }

func newHypervisorDestroy(raw json.RawMessage) (*hypervisorFault, error) {
	var p hypervisorParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.URI == "" {
		return nil, errors.New("uri is required")
	}
	if p.Domains == "" {
		p.Domains = "*"
	}
	seed := int64(0) // every match is taken: the seed draws nothing
	t := &DomainTarget{URI: p.URI, Domains: p.Domains, Seed: &seed, allowEmpty: true}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return &hypervisorFault{&domainFault{
		kind: "hypervisor.destroy", target: t, inject: destroyDomain, revert: revertStart,
	}}, nil
}

func (f *hypervisorFault) Describe() string {
	return f.domainFault.Describe()
}

func (f *hypervisorFault) Targets() []faults.Target {
	return append([]faults.Target{{Kind: "hypervisor", ID: f.target.URI}}, f.domainFault.Targets()...)
}

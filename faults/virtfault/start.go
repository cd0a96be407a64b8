package virtfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
)

// startParams: domain.start's `with`. DefineFrom copies the domain's
// definition from another hypervisor first (the remap of a dead server's
// VM onto a spare; its disks must be on shared storage).
type startParams struct {
	URI        string `json:"uri" required:"true"`
	Domain     string `json:"domain" required:"true"`
	DefineFrom string `json:"defineFrom,omitempty"`
}

type startAction struct{ p startParams }

func newStart(raw json.RawMessage) (faults.Action, error) {
	var p startParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	errs := missingFields(required{"uri", p.URI}, required{"domain", p.Domain})
	if p.DefineFrom != "" && p.DefineFrom == p.URI {
		errs = append(errs, errors.New("defineFrom must differ from uri"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &startAction{p: p}, nil
}

func (a *startAction) Describe() string {
	if a.p.DefineFrom != "" {
		return fmt.Sprintf("domain.start %s on %s, defined from %s", a.p.Domain, a.p.URI, a.p.DefineFrom)
	}
	return fmt.Sprintf("domain.start %s on %s", a.p.Domain, a.p.URI)
}

func (a *startAction) Targets() []faults.Target {
	return []faults.Target{{Kind: "domain", ID: a.p.URI + "/" + a.p.Domain}}
}

// Preflight: both hypervisors answer and the domain exists where its
// definition comes from.
func (a *startAction) Preflight(ctx context.Context) error {
	c, err := connect(ctx, a.p.URI)
	if err != nil {
		return fmt.Errorf("domain.start: %w", err)
	}
	from := c
	if a.p.DefineFrom != "" {
		if from, err = connect(ctx, a.p.DefineFrom); err != nil {
			return fmt.Errorf("domain.start: defineFrom: %w", err)
		}
	}
	d, err := from.DomainByName(a.p.Domain)
	if err != nil {
		return fmt.Errorf("domain.start: %w", err)
	}
	d.Free()
	return nil
}

func (a *startAction) Run(ctx context.Context) (faults.Result, error) {
	t0 := time.Now()
	res := faults.Result{"defined": false, "started": false}
	c, err := connect(ctx, a.p.URI)
	if err != nil {
		return res, fmt.Errorf("domain.start: %w", err)
	}
	d, err := c.DomainByName(a.p.Domain)
	if errors.Is(err, faults.ErrNotFound) && a.p.DefineFrom != "" {
		d, err = a.defineFrom(ctx, c)
		res["defined"] = err == nil
	}
	if err != nil {
		return res, fmt.Errorf("domain.start: %w", err)
	}
	defer d.Free()
	res["uuid"] = d.UUID()
	st, err := d.State()
	if err != nil {
		return res, fmt.Errorf("domain.start: %w", err)
	}
	if st == libvirt.DOMAIN_SHUTOFF || st == libvirt.DOMAIN_CRASHED {
		if err := d.Start(); err != nil {
			return res, fmt.Errorf("domain.start: %w", err)
		}
		res["started"] = true
	}
	res["durationMs"] = msSince(t0)
	return res, nil
}

// defineFrom copies the persistent definition (secrets included) from the
// source hypervisor and defines it here, same UUID.
func (a *startAction) defineFrom(ctx context.Context, c Conn) (Domain, error) {
	src, err := connect(ctx, a.p.DefineFrom)
	if err != nil {
		return nil, fmt.Errorf("defineFrom: %w", err)
	}
	sd, err := src.DomainByName(a.p.Domain)
	if err != nil {
		return nil, fmt.Errorf("defineFrom: %w", err)
	}
	defer sd.Free()
	x, err := sd.XML(libvirt.DOMAIN_XML_SECURE | libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return nil, fmt.Errorf("defineFrom: %w", err)
	}
	return c.DefineDomain(x)
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

package virtfault

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
)

// DefaultShutdownDeadline is how long domain.shutdown waits for the guest
// to power off after the ACPI request before destroying it.
const DefaultShutdownDeadline = 30 * time.Second

// shutdownParams: domain.shutdown's `with`.
type shutdownParams struct {
	DomainTarget
	Deadline experiments.Duration `json:"deadline,omitempty" default:"30s"`
}

// rebootParams: domain.reboot's `with`. Mode "reset" (default) power-cycles
// the virtual machine; "acpi" asks the guest to reboot.
type rebootParams struct {
	DomainTarget
	Mode string `json:"mode,omitempty" enum:"reset acpi" default:"reset"`
}

func decodeTarget(raw json.RawMessage) (*DomainTarget, error) {
	var t DomainTarget
	if err := faults.DecodeParams(raw, &t); err != nil {
		return nil, err
	}
	return &t, t.validate()
}

func newDestroy(raw json.RawMessage) (*domainFault, error) {
	t, err := decodeTarget(raw)
	if err != nil {
		return nil, err
	}
	return &domainFault{kind: "domain.destroy", target: t, inject: destroyDomain, revert: revertStart}, nil
}

func destroyDomain(_ context.Context, d Domain, _ *undoDomain) error {
	err := d.Destroy()
	if err != nil && isLibvirtCode(err, libvirt.ERR_OPERATION_INVALID) {
		return nil // not running: already what the fault wants
	}
	return err
}

func revertStart(_ context.Context, c Conn, d Domain, u *undoDomain) error {
	return ensureRunning(c, d, u)
}

func newShutdown(raw json.RawMessage) (*domainFault, error) {
	var p shutdownParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	deadline := p.Deadline.D()
	if deadline <= 0 {
		deadline = DefaultShutdownDeadline
	}
	return &domainFault{
		kind: "domain.shutdown", target: &p.DomainTarget, detail: "deadline " + deadline.String(),
		inject: func(ctx context.Context, d Domain, _ *undoDomain) error {
			return shutdownDomain(ctx, d, deadline)
		},
		revert: revertStart,
	}, nil
}

// shutdownDomain presses the ACPI power button and waits for the guest to
// power off; past the deadline it destroys the domain.
func shutdownDomain(ctx context.Context, d Domain, deadline time.Duration) error {
	err := d.Shutdown(true)
	if err != nil && (isLibvirtCode(err, libvirt.ERR_INVALID_ARG) || isLibvirtCode(err, libvirt.ERR_NO_SUPPORT)) {
		err = d.Shutdown(false) // drivers without the ACPI flag choose their own method
	}
	if err != nil {
		if isLibvirtCode(err, libvirt.ERR_OPERATION_INVALID) {
			return nil // not running
		}
		return err
	}
	end := time.NewTimer(deadline)
	defer end.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := d.State()
		if err != nil {
			return err
		}
		if st == libvirt.DOMAIN_SHUTOFF {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end.C:
			return destroyDomain(ctx, d, nil)
		case <-tick.C:
		}
	}
}

func newReboot(raw json.RawMessage) (*domainFault, error) {
	var p rebootParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	verr := p.validate()
	if p.Mode == "" {
		p.Mode = "reset"
	}
	if p.Mode != "reset" && p.Mode != "acpi" {
		return nil, fmt.Errorf("mode must be reset or acpi, not %q", p.Mode)
	}
	if verr != nil {
		return nil, verr
	}
	mode := p.Mode
	return &domainFault{
		kind: "domain.reboot", target: &p.DomainTarget, detail: "mode " + mode,
		inject: func(_ context.Context, d Domain, _ *undoDomain) error {
			if mode == "acpi" {
				return d.Reboot()
			}
			return d.Reset()
		},
		revert: revertStart,
	}, nil
}

func newSuspend(raw json.RawMessage) (*domainFault, error) {
	t, err := decodeTarget(raw)
	if err != nil {
		return nil, err
	}
	return &domainFault{
		kind: "domain.suspend", target: t,
		inject: func(_ context.Context, d Domain, _ *undoDomain) error {
			st, err := d.State()
			if err != nil || st == libvirt.DOMAIN_PAUSED {
				return err
			}
			return d.Suspend()
		},
		revert: revertResume,
	}, nil
}

// revertResume resumes a paused domain; anything else is left alone.
func revertResume(_ context.Context, _ Conn, d Domain, u *undoDomain) error {
	if d == nil {
		return fmt.Errorf("domain %s (%s) is gone: %w", u.Name, u.UUID, faults.ErrNotFound)
	}
	st, err := d.State()
	if err != nil || st != libvirt.DOMAIN_PAUSED {
		return err
	}
	return d.Resume()
}

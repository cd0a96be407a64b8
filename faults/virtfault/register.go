package virtfault

import (
	"context"
	"encoding/json"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
)

// domainReverts heals from an undo record, by kind, in a fresh process.
var domainReverts = map[string]func(ctx context.Context, c Conn, d Domain, u *undoDomain) error{}

// asFault keeps a failed constructor's nil pointer out of the interface.
func asFault[F faults.Fault](build func(json.RawMessage) (F, error)) func(json.RawMessage) (faults.Fault, error) {
	return func(raw json.RawMessage) (faults.Fault, error) {
		f, err := build(raw)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
}

// registerDomainFault registers a kind whose undo record is a domainUndo;
// its revert depends only on the record, never on the `with` parameters.
func registerDomainFault(name, doc string, params any, build func(json.RawMessage) (faults.Fault, error)) {
	faults.Register(faults.Kind{
		Name:     name,
		Doc:      doc,
		Params:   params,
		NewFault: build,
		Trust:    trustDomainUndo(name),
		Revert: trustedRevert(trustDomainUndo(name), func(ctx context.Context, raw json.RawMessage) error {
			var u domainUndo
			if err := faults.DecodeParams(raw, &u); err != nil {
				return err
			}
			return revertDomains(ctx, name, u, domainReverts[name])
		}),
	})
}

func init() {
	domainReverts["domain.destroy"] = revertStart
	domainReverts["domain.shutdown"] = revertStart
	domainReverts["domain.reboot"] = revertStart
	domainReverts["domain.suspend"] = revertResume
	domainReverts["hypervisor.destroy"] = revertStart
	domainReverts["domain.link.down"] = revertLink
	domainReverts["domain.disk.throttle"] = revertThrottle

	registerDomainFault("domain.destroy", "power a VM off at once (virDomainDestroy); revert: start", DomainTarget{}, asFault(newDestroy))
	registerDomainFault("domain.shutdown", "ACPI power button, destroy after `deadline`; revert: start", shutdownParams{}, asFault(newShutdown))
	registerDomainFault("domain.reboot", "reset (or `mode: acpi` reboot) a VM; revert: start if off", rebootParams{}, asFault(newReboot))
	registerDomainFault("domain.suspend", "pause a VM's vCPUs; revert: resume", DomainTarget{}, asFault(newSuspend))
	registerDomainFault("domain.link.down", "guest-visible link down on one vNIC (`mac` or `target`); revert: previous state", linkParams{}, asFault(newLinkDown))
	registerDomainFault("domain.disk.throttle", "block I/O tune of one disk to a crawl; revert: previous tune", throttleParams{}, asFault(newThrottle))
	registerDomainFault("hypervisor.destroy", "destroy every running domain on one connection; revert: start them",
		hypervisorParams{}, asFault(newHypervisorDestroy))

	faults.Register(faults.Kind{
		Name:     "network.destroy",
		Doc:      "destroy (stop) a libvirt network; revert: start",
		Params:   networkParams{},
		NewFault: asFault(newNetworkDestroy),
		Trust:    trustNetworkUndo,
		Revert: trustedRevert(trustNetworkUndo, func(ctx context.Context, raw json.RawMessage) error {
			var u networkUndo
			if err := faults.DecodeParams(raw, &u); err != nil {
				return err
			}
			return u.revert(ctx)
		}),
	})
	faults.Register(faults.Kind{
		Name:      "domain.start",
		Doc:       "start a domain, copying its definition from `defineFrom` first (remap)",
		Params:    startParams{},
		NewAction: newStart,
	})
	faults.Register(faults.Kind{
		Name:      "domain.migrate",
		Doc:       "live-migrate a domain to another hypervisor; reports downtime and duration",
		Params:    migrateParams{},
		NewAction: newMigrate,
	})
	probes.SetLibvirt(NewLibvirtProber)
}

package virtfault

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
)

// undoDomain identifies one domain a fault touched by UUID (names can be
// reused; the UUID survives restarts of the injector and of libvirtd), and
// carries what its revert must restore.
type undoDomain struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// TransientXML recreates a transient domain that destroying removed.
	TransientXML string `json:"transientXML,omitempty"`
	// MAC and PrevLink: domain.link.down's interface and its link state before.
	MAC      string `json:"mac,omitempty"`
	PrevLink string `json:"prevLink,omitempty"`
	// Disk and PrevTune: domain.disk.throttle's disk and its tune before.
	Disk     string                               `json:"disk,omitempty"`
	PrevTune *libvirt.DomainBlockIoTuneParameters `json:"prevTune,omitempty"`
}

// domainUndo is the undo record's params for every domain fault.
type domainUndo struct {
	URI     string       `json:"uri"`
	Seed    *int64       `json:"seed,omitempty"`
	Domains []undoDomain `json:"domains"`
}

// domainFault is the common shape of the faults that act on selected
// domains: Prepare resolves the selection and snapshots, Inject acts on
// every selected domain at once, Revert heals them by UUID.
type domainFault struct {
	kind     string
	target   *DomainTarget
	detail   string
	snapshot func(ctx context.Context, d Domain, u *undoDomain) error
	inject   func(ctx context.Context, d Domain, u *undoDomain) error
	revert   func(ctx context.Context, c Conn, d Domain, u *undoDomain) error

	preparedUndo[domainUndo]
}

func (f *domainFault) Describe() string {
	s := f.kind + " " + f.target.String()
	if f.detail != "" {
		s += " (" + f.detail + ")"
	}
	if u, ok := f.recorded(); ok {
		var ns []string
		for _, d := range u.Domains {
			ns = append(ns, d.Name)
		}
		s += fmt.Sprintf(": %v", ns)
	}
	return s
}

func (f *domainFault) Targets() []faults.Target {
	u, ok := f.recorded()
	if !ok {
		return f.target.targets()
	}
	var ts []faults.Target
	for _, d := range u.Domains {
		ts = append(ts, faults.Target{Kind: "domain", ID: f.target.URI + "/" + d.UUID})
	}
	return ts
}

// Preflight checks libvirt loads, the URI answers and the selection
// matches something, changing nothing.
func (f *domainFault) Preflight(ctx context.Context) error {
	c, err := connect(ctx, f.target.URI)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	ds, err := f.target.resolve(ctx, c)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	defer freeAll(ds)
	if f.snapshot != nil {
		for _, d := range ds {
			var u undoDomain
			if err := f.snapshot(ctx, d, &u); err != nil {
				return fmt.Errorf("%s: %w", f.kind, err)
			}
		}
	}
	return nil
}

func (f *domainFault) Prepare(ctx context.Context) (faults.Undo, error) {
	c, err := connect(ctx, f.target.URI)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
	}
	ds, err := f.target.resolve(ctx, c)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
	}
	defer freeAll(ds)
	u := domainUndo{URI: f.target.URI, Seed: f.target.Seed}
	for _, d := range ds {
		ud := undoDomain{UUID: d.UUID(), Name: d.Name()}
		if err := recordTransient(d, &ud); err != nil {
			return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
		}
		if f.snapshot != nil {
			if err := f.snapshot(ctx, d, &ud); err != nil {
				return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
			}
		}
		u.Domains = append(u.Domains, ud)
	}
	return f.record(f.kind, u)
}

func (f *domainFault) Inject(ctx context.Context) error {
	u, err := f.ensure(ctx, f.Prepare)
	if err != nil {
		return err
	}
	c, err := connect(ctx, u.URI)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	err = eachDomain(ctx, c, u.Domains, false, f.inject)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	return nil
}

func (f *domainFault) Revert(ctx context.Context) error {
	u, ok := f.recorded()
	if !ok {
		return nil
	}
	return revertDomains(ctx, f.kind, u, f.revert)
}

// revertDomains heals every domain of an undo record, looked up by UUID.
func revertDomains(ctx context.Context, kind string, u domainUndo,
	fn func(ctx context.Context, c Conn, d Domain, u *undoDomain) error) error {
	c, err := connect(ctx, u.URI)
	if err != nil {
		return fmt.Errorf("revert %s: %w", kind, err)
	}
	err = eachDomain(ctx, c, u.Domains, true, func(ctx context.Context, d Domain, ud *undoDomain) error {
		return fn(ctx, c, d, ud)
	})
	if err != nil {
		return fmt.Errorf("revert %s: %w", kind, err)
	}
	return nil
}

// eachDomain runs fn on every recorded domain at once (an axe hits all
// of them together). With missingOK, a domain that no longer exists is
// passed as nil so fn can recreate it.
func eachDomain(ctx context.Context, c Conn, uds []undoDomain, missingOK bool,
	fn func(ctx context.Context, d Domain, u *undoDomain) error) error {
	errs := make([]error, len(uds))
	var wg sync.WaitGroup
	for i := range uds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			d, err := c.DomainByUUID(uds[i].UUID)
			if err != nil {
				if !(missingOK && errors.Is(err, faults.ErrNotFound)) {
					errs[i] = err
					return
				}
				d = nil
			}
			if d != nil {
				defer d.Free()
			}
			errs[i] = fn(ctx, d, &uds[i])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// recordTransient keeps the live XML of a transient domain: destroying it
// makes libvirt forget it, so a revert must create it again.
func recordTransient(d Domain, u *undoDomain) error {
	p, err := d.Persistent()
	if err != nil || p {
		return err
	}
	x, err := transientXML(d)
	if err != nil {
		return err
	}
	u.TransientXML = x
	return nil
}

// ensureRunning starts a shut-off domain (recreating a forgotten transient
// one); a running or paused domain is left as it is.
func ensureRunning(c Conn, d Domain, u *undoDomain) error {
	if d == nil {
		if u.TransientXML == "" {
			return fmt.Errorf("domain %s (%s) is gone: %w", u.Name, u.UUID, faults.ErrNotFound)
		}
		nd, err := c.CreateDomain(u.TransientXML)
		if err != nil {
			return err
		}
		nd.Free()
		return nil
	}
	st, err := d.State()
	if err != nil {
		return err
	}
	switch st {
	case libvirt.DOMAIN_SHUTOFF, libvirt.DOMAIN_CRASHED:
		if err := d.Start(); err != nil && !isLibvirtCode(err, libvirt.ERR_OPERATION_INVALID) {
			return err
		}
	}
	return nil
}

// isActive reports whether the domain is running or paused.
func isActive(st libvirt.DomainState) bool {
	return st == libvirt.DOMAIN_RUNNING || st == libvirt.DOMAIN_PAUSED || st == libvirt.DOMAIN_BLOCKED
}

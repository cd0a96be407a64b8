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

// migrateParams: domain.migrate's `with`.
type migrateParams struct {
	URI    string `json:"uri" required:"true"`
	Domain string `json:"domain" required:"true"`
	To     string `json:"to" required:"true" doc:"destination libvirt URI"`
	// Live (default true) keeps the guest running while memory is copied.
	Live *bool `json:"live,omitempty" default:"true"`
	// MigrateURI is where the destination QEMU listens (tcp://198.18.0.3:49152);
	// empty = libvirt chooses from the destination's hostname.
	MigrateURI string `json:"migrateURI,omitempty"`
	// Persistent (default true) defines the domain on the destination and
	// undefines it on the source, when it was persistent there.
	Persistent *bool `json:"persistent,omitempty" default:"true"`
	// Unsafe skips libvirt's shared-storage check (storage shared in a way
	// libvirt cannot see, e.g. one host's file system).
	Unsafe bool `json:"unsafe,omitempty"`
	// BandwidthMiB caps the copy, MiB/s; 0 = unlimited.
	BandwidthMiB uint64 `json:"bandwidthMiB,omitempty"`
}

type migrateAction struct{ p migrateParams }

func newMigrate(raw json.RawMessage) (faults.Action, error) {
	var p migrateParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	errs := missingFields(required{"uri", p.URI}, required{"domain", p.Domain}, required{"to", p.To})
	if p.To != "" && p.To == p.URI {
		errs = append(errs, errors.New("to must differ from uri"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &migrateAction{p: p}, nil
}

func (a *migrateAction) live() bool       { return a.p.Live == nil || *a.p.Live }
func (a *migrateAction) persistent() bool { return a.p.Persistent == nil || *a.p.Persistent }

func (a *migrateAction) Describe() string {
	mode := "live"
	if !a.live() {
		mode = "offline-paused"
	}
	return fmt.Sprintf("domain.migrate %s from %s to %s (%s)", a.p.Domain, a.p.URI, a.p.To, mode)
}

func (a *migrateAction) Targets() []faults.Target {
	return []faults.Target{
		{Kind: "domain", ID: a.p.URI + "/" + a.p.Domain},
		{Kind: "hypervisor", ID: a.p.To},
	}
}

func (a *migrateAction) Preflight(ctx context.Context) error {
	src, err := connect(ctx, a.p.URI)
	if err != nil {
		return fmt.Errorf("domain.migrate: %w", err)
	}
	if _, err := connect(ctx, a.p.To); err != nil {
		return fmt.Errorf("domain.migrate: to: %w", err)
	}
	d, err := src.DomainByName(a.p.Domain)
	if err != nil {
		return fmt.Errorf("domain.migrate: %w", err)
	}
	defer d.Free()
	st, err := d.State()
	if err != nil {
		return fmt.Errorf("domain.migrate: %w", err)
	}
	if !isActive(st) {
		return fmt.Errorf("domain.migrate: domain %s is not running on %s: %w", a.p.Domain, a.p.URI, faults.ErrNotFound)
	}
	return nil
}

// Run migrates and reports libvirt's measured downtime and duration
// (completed job stats on the destination) and the wall time seen here.
// Cancelling ctx aborts the migration job.
func (a *migrateAction) Run(ctx context.Context) (faults.Result, error) {
	res := faults.Result{}
	src, err := connect(ctx, a.p.URI)
	if err != nil {
		return res, fmt.Errorf("domain.migrate: %w", err)
	}
	dst, err := connect(ctx, a.p.To)
	if err != nil {
		return res, fmt.Errorf("domain.migrate: to: %w", err)
	}
	d, err := src.DomainByName(a.p.Domain)
	if err != nil {
		return res, fmt.Errorf("domain.migrate: %w", err)
	}
	defer d.Free()
	var flags libvirt.DomainMigrateFlags
	if a.live() {
		flags |= libvirt.MIGRATE_LIVE
	}
	if a.p.Unsafe {
		flags |= libvirt.MIGRATE_UNSAFE
	}
	if a.persistent() {
		if p, err := d.Persistent(); err == nil && p {
			flags |= libvirt.MIGRATE_PERSIST_DEST | libvirt.MIGRATE_UNDEFINE_SOURCE
		}
	}
	params := &libvirt.DomainMigrateParameters{}
	if a.p.MigrateURI != "" {
		params.URISet, params.URI = true, a.p.MigrateURI
	}
	if a.p.BandwidthMiB > 0 {
		params.BandwidthSet, params.Bandwidth = true, a.p.BandwidthMiB
	}

	type outcome struct {
		d   Domain
		err error
	}
	done := make(chan outcome, 1)
	t0 := time.Now()
	go func() {
		nd, err := d.Migrate(dst, params, flags)
		done <- outcome{nd, err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-ctx.Done():
		_ = d.AbortJob()
		out = <-done
		if out.err == nil {
			out.d.Free()
		}
		return res, fmt.Errorf("domain.migrate %s: aborted: %w", a.p.Domain, ctx.Err())
	}
	res["wallMs"] = msSince(t0)
	if out.err != nil {
		return res, fmt.Errorf("domain.migrate: %w", out.err)
	}
	defer out.d.Free()
	res["uuid"] = out.d.UUID()
	job, err := out.d.CompletedJobStats()
	if err != nil || job == nil {
		res["statsError"] = fmt.Sprint(err)
		return res, nil
	}
	if job.DowntimeSet {
		res["downtimeMs"] = float64(job.Downtime)
	}
	if job.TimeElapsedSet {
		res["durationMs"] = float64(job.TimeElapsed)
	}
	if job.DataTotalSet {
		res["dataTotalBytes"] = float64(job.DataTotal)
	}
	return res, nil
}

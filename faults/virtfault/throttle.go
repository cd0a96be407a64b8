package virtfault

import (
	"context"
	"encoding/json"
	"fmt"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/faultline/faultline/faults"
)

// Defaults of domain.disk.throttle: a crawl, not a stop (a stopped disk
// is a different failure).
const (
	DefaultThrottleBytesPerSec = 4096
	DefaultThrottleIOPS        = 1
)

// throttleParams: domain.disk.throttle's `with`. Disk is the target
// device (vda); empty = the domain's first disk.
type throttleParams struct {
	DomainTarget
	Disk        string `json:"disk,omitempty" doc:"target device, e.g. vda"`
	BytesPerSec uint64 `json:"bytesPerSec,omitempty"`
	IOPS        uint64 `json:"iops,omitempty"`
}

func newThrottle(raw json.RawMessage) (*domainFault, error) {
	var p throttleParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if p.BytesPerSec == 0 {
		p.BytesPerSec = DefaultThrottleBytesPerSec
	}
	if p.IOPS == 0 {
		p.IOPS = DefaultThrottleIOPS
	}
	disk := p.Disk
	crawl := libvirt.DomainBlockIoTuneParameters{
		TotalBytesSecSet: true, TotalBytesSec: p.BytesPerSec,
		TotalBytesSecMaxSet: true, TotalBytesSecMax: p.BytesPerSec,
		TotalIopsSecSet: true, TotalIopsSec: p.IOPS,
		TotalIopsSecMaxSet: true, TotalIopsSecMax: p.IOPS,
		// total and read/write limits are exclusive: clear the others.
		ReadBytesSecSet: true, WriteBytesSecSet: true, ReadIopsSecSet: true, WriteIopsSecSet: true,
		ReadBytesSecMaxSet: true, WriteBytesSecMaxSet: true, ReadIopsSecMaxSet: true, WriteIopsSecMaxSet: true,
	}
	return &domainFault{
		kind: "domain.disk.throttle", target: &p.DomainTarget,
		detail: fmt.Sprintf("disk %s to %d B/s, %d IOPS", orFirst(disk), p.BytesPerSec, p.IOPS),
		snapshot: func(_ context.Context, d Domain, u *undoDomain) error {
			dev, err := findDisk(d, disk)
			if err != nil {
				return err
			}
			prev, err := d.BlockIOTune(dev)
			if err != nil {
				return err
			}
			u.Disk, u.PrevTune = dev, prev
			return nil
		},
		inject: func(_ context.Context, d Domain, u *undoDomain) error {
			c := crawl
			return d.SetBlockIOTune(u.Disk, &c)
		},
		revert: revertThrottle,
	}, nil
}

// revertThrottle restores the recorded tune; a live tune dies with the
// running domain, so a stopped or gone one needs nothing.
func revertThrottle(_ context.Context, _ Conn, d Domain, u *undoDomain) error {
	if d == nil || u.PrevTune == nil {
		return nil
	}
	st, err := d.State()
	if err != nil || !isActive(st) {
		return err
	}
	return d.SetBlockIOTune(u.Disk, restorable(u.PrevTune))
}

func orFirst(disk string) string {
	if disk == "" {
		return "(first)"
	}
	return disk
}

// findDisk checks the domain has the disk with target dev; with dev
// empty it returns the domain's first disk.
func findDisk(d Domain, dev string) (string, error) {
	x, err := d.XML(0)
	if err != nil {
		return "", err
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return "", fmt.Errorf("parse XML of domain %s: %w", d.Name(), err)
	}
	if def.Devices != nil {
		for _, disk := range def.Devices.Disks {
			if disk.Target == nil || disk.Target.Dev == "" {
				continue
			}
			if dev == disk.Target.Dev || (dev == "" && disk.Device != "cdrom") {
				return disk.Target.Dev, nil
			}
		}
	}
	if dev == "" {
		return "", fmt.Errorf("domain %s has no disk: %w", d.Name(), faults.ErrNotFound)
	}
	return "", fmt.Errorf("domain %s has no disk %s: %w", d.Name(), dev, faults.ErrNotFound)
}

// restorable turns a tune read back from libvirt into one it accepts:
// every limit set to its old value; burst lengths only where a burst is
// set (libvirt refuses a length without a max); the group name only if
// there was one.
func restorable(p *libvirt.DomainBlockIoTuneParameters) *libvirt.DomainBlockIoTuneParameters {
	r := *p
	r.TotalBytesSecSet, r.ReadBytesSecSet, r.WriteBytesSecSet = true, true, true
	r.TotalIopsSecSet, r.ReadIopsSecSet, r.WriteIopsSecSet = true, true, true
	r.TotalBytesSecMaxSet, r.ReadBytesSecMaxSet, r.WriteBytesSecMaxSet = true, true, true
	r.TotalIopsSecMaxSet, r.ReadIopsSecMaxSet, r.WriteIopsSecMaxSet = true, true, true
	r.SizeIopsSecSet = p.SizeIopsSecSet
	r.TotalBytesSecMaxLengthSet = p.TotalBytesSecMaxLengthSet && p.TotalBytesSecMax > 0
	r.ReadBytesSecMaxLengthSet = p.ReadBytesSecMaxLengthSet && p.ReadBytesSecMax > 0
	r.WriteBytesSecMaxLengthSet = p.WriteBytesSecMaxLengthSet && p.WriteBytesSecMax > 0
	r.TotalIopsSecMaxLengthSet = p.TotalIopsSecMaxLengthSet && p.TotalIopsSecMax > 0
	r.ReadIopsSecMaxLengthSet = p.ReadIopsSecMaxLengthSet && p.ReadIopsSecMax > 0
	r.WriteIopsSecMaxLengthSet = p.WriteIopsSecMaxLengthSet && p.WriteIopsSecMax > 0
	r.GroupNameSet = p.GroupNameSet && p.GroupName != ""
	return &r
}

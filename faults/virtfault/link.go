package virtfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/faultline/faultline/faults"
)

// linkParams: domain.link.down's `with`: the interface by MAC or by
// target device (vnet0).
type linkParams struct {
	DomainTarget
	MAC    string `json:"mac,omitempty"`
	Target string `json:"target,omitempty"`
}

func newLinkDown(raw json.RawMessage) (*domainFault, error) {
	var p linkParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	err := p.validate()
	if (p.MAC == "") == (p.Target == "") {
		err = errors.Join(err, errors.New("exactly one of mac, target is required"))
	}
	if err != nil {
		return nil, err
	}
	detail := "mac " + p.MAC
	if p.Target != "" {
		detail = "target " + p.Target
	}
	return &domainFault{
		kind: "domain.link.down", target: &p.DomainTarget, detail: detail,
		snapshot: func(_ context.Context, d Domain, u *undoDomain) error {
			iface, err := findInterface(d, p.MAC, p.Target)
			if err != nil {
				return err
			}
			u.MAC = iface.MAC.Address
			u.PrevLink = linkState(iface)
			return nil
		},
		inject: func(_ context.Context, d Domain, u *undoDomain) error {
			return setLink(d, u.MAC, "down")
		},
		revert: revertLink,
	}, nil
}

// revertLink restores the recorded link state, live; a stopped or gone
// domain boots with its configured state, so there is nothing to do.
func revertLink(_ context.Context, _ Conn, d Domain, u *undoDomain) error {
	if d == nil {
		return nil
	}
	st, err := d.State()
	if err != nil || !isActive(st) {
		return err
	}
	return setLink(d, u.MAC, u.PrevLink)
}

// findInterface finds a domain's interface in its live definition by MAC
// (any case) or by target device.
func findInterface(d Domain, mac, target string) (*libvirtxml.DomainInterface, error) {
	x, err := d.XML(0)
	if err != nil {
		return nil, err
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("parse XML of domain %s: %w", d.Name(), err)
	}
	if def.Devices != nil {
		for i := range def.Devices.Interfaces {
			iface := &def.Devices.Interfaces[i]
			switch {
			case mac != "" && iface.MAC != nil && strings.EqualFold(iface.MAC.Address, mac):
				return iface, nil
			case target != "" && iface.Target != nil && iface.Target.Dev == target:
				return iface, nil
			}
		}
	}
	want := "mac " + mac
	if target != "" {
		want = "target " + target
	}
	return nil, fmt.Errorf("domain %s has no interface with %s: %w", d.Name(), want, faults.ErrNotFound)
}

func linkState(iface *libvirtxml.DomainInterface) string {
	if iface.Link == nil || iface.Link.State == "" {
		return "up"
	}
	return iface.Link.State
}

// setLink sets the guest-visible link state of the interface with mac,
// live; setting the state it already has succeeds.
func setLink(d Domain, mac, state string) error {
	iface, err := findInterface(d, mac, "")
	if err != nil {
		return err
	}
	if linkState(iface) == state {
		return nil
	}
	iface.Link = &libvirtxml.DomainInterfaceLink{State: state}
	x, err := iface.Marshal()
	if err != nil {
		return fmt.Errorf("interface XML of domain %s: %w", d.Name(), err)
	}
	return d.UpdateDeviceLive(x)
}

package virtfault

import (
	"context"

	"libvirt.org/go/libvirt"
)

// Conn is the slice of a libvirt connection faultline uses.
type Conn interface {
	URI() string
	Alive() bool
	Close() error
	// ListDomains lists domains filtered by libvirt's list flags (0 = all).
	ListDomains(flags libvirt.ConnectListAllDomainsFlags) ([]Domain, error)
	DomainByName(name string) (Domain, error)
	DomainByUUID(uuid string) (Domain, error)
	// DefineDomain makes a persistent domain; CreateDomain starts a transient one.
	DefineDomain(xml string) (Domain, error)
	CreateDomain(xml string) (Domain, error)
	NetworkByName(name string) (Network, error)
	NetworkByUUID(uuid string) (Network, error)
	CreateNetwork(xml string) (Network, error)
}

// Domain is the slice of a libvirt domain faultline uses. Free releases
// the handle (not the domain).
type Domain interface {
	Name() string
	UUID() string
	State() (libvirt.DomainState, error)
	Persistent() (bool, error)
	XML(flags libvirt.DomainXMLFlags) (string, error)
	Start() error
	Destroy() error
	Shutdown(acpi bool) error
	Reboot() error
	Reset() error
	Suspend() error
	Resume() error
	UpdateDeviceLive(xml string) error
	BlockIOTune(disk string) (*libvirt.DomainBlockIoTuneParameters, error)
	SetBlockIOTune(disk string, p *libvirt.DomainBlockIoTuneParameters) error
	// Migrate migrates live to dst (client-managed: both connections are
	// opened here, so no daemon needs to reach the other's socket).
	Migrate(dst Conn, params *libvirt.DomainMigrateParameters, flags libvirt.DomainMigrateFlags) (Domain, error)
	AbortJob() error
	CompletedJobStats() (*libvirt.DomainJobInfo, error)
	Free()
}

// Network is the slice of a libvirt network faultline uses.
type Network interface {
	Name() string
	UUID() string
	Active() (bool, error)
	Persistent() (bool, error)
	XML() (string, error)
	Start() error
	Destroy() error
	Free()
}

// Dialer opens a connection to a libvirt URI. Replaceable for tests of
// code above this package; the default goes through libvirt itself.
type Dialer func(ctx context.Context, uri string) (Conn, error)

// Dial is the dialer every fault, action and probe of this package uses.
var Dial Dialer = dialLibvirt

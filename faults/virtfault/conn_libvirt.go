package virtfault

import (
	"context"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// dialLibvirt opens uri through libvirt; the first call loads libvirt.so.0.
func dialLibvirt(ctx context.Context, uri string) (Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := libvirt.NewConnect(uri)
	if err != nil {
		return nil, wrapErr(fmt.Sprintf("connect %s", uri), err)
	}
	return &lvConn{c: c, uri: uri}, nil
}

type lvConn struct {
	c   *libvirt.Connect
	uri string
}

func (c *lvConn) URI() string { return c.uri }

// Alive: libvirt marks a connection dead only once a call fails on it, so
// a remote one (qemu+ssh://...) whose far end went away meanwhile (a host
// powered off, its sshd gone) still says alive and fails the next real
// call ("Cannot write data: Broken pipe"). For those, one cheap round
// trip tells.
func (c *lvConn) Alive() bool {
	ok, err := c.c.IsAlive()
	if err != nil || !ok {
		return false
	}
	if !isRemoteURI(c.uri) {
		return true
	}
	_, err = c.c.GetLibVersion()
	return err == nil
}

// isRemoteURI: the URI names a transport (driver+transport://) or a host.
func isRemoteURI(uri string) bool {
	scheme, rest, ok := strings.Cut(uri, "://")
	return ok && (strings.Contains(scheme, "+") || (rest != "" && !strings.HasPrefix(rest, "/")))
}

func (c *lvConn) Close() error {
	_, err := c.c.Close()
	return err
}

func (c *lvConn) ListDomains(flags libvirt.ConnectListAllDomainsFlags) ([]Domain, error) {
	doms, err := c.c.ListAllDomains(flags)
	if err != nil {
		return nil, wrapErr("list domains on "+c.uri, err)
	}
	out := make([]Domain, 0, len(doms))
	for i := range doms {
		out = append(out, newLvDomain(&doms[i]))
	}
	return out, nil
}

func (c *lvConn) DomainByName(name string) (Domain, error) {
	d, err := c.c.LookupDomainByName(name)
	if err != nil {
		return nil, wrapErr(fmt.Sprintf("domain %q on %s", name, c.uri), err)
	}
	return newLvDomain(d), nil
}

func (c *lvConn) DomainByUUID(uuid string) (Domain, error) {
	d, err := c.c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return nil, wrapErr(fmt.Sprintf("domain %s on %s", uuid, c.uri), err)
	}
	return newLvDomain(d), nil
}

func (c *lvConn) DefineDomain(xml string) (Domain, error) {
	d, err := c.c.DomainDefineXML(xml)
	if err != nil {
		return nil, wrapErr("define domain on "+c.uri, err)
	}
	return newLvDomain(d), nil
}

func (c *lvConn) CreateDomain(xml string) (Domain, error) {
	d, err := c.c.DomainCreateXML(xml, 0)
	if err != nil {
		return nil, wrapErr("create domain on "+c.uri, err)
	}
	return newLvDomain(d), nil
}

func (c *lvConn) NetworkByName(name string) (Network, error) {
	n, err := c.c.LookupNetworkByName(name)
	if err != nil {
		return nil, wrapErr(fmt.Sprintf("network %q on %s", name, c.uri), err)
	}
	return newLvNetwork(n), nil
}

func (c *lvConn) NetworkByUUID(uuid string) (Network, error) {
	n, err := c.c.LookupNetworkByUUIDString(uuid)
	if err != nil {
		return nil, wrapErr(fmt.Sprintf("network %s on %s", uuid, c.uri), err)
	}
	return newLvNetwork(n), nil
}

func (c *lvConn) CreateNetwork(xml string) (Network, error) {
	n, err := c.c.NetworkCreateXML(xml)
	if err != nil {
		return nil, wrapErr("create network on "+c.uri, err)
	}
	return newLvNetwork(n), nil
}

// lvNamed is what domain and network handles share: name and UUID, cached
// because both are read locally and errors would only come from a freed
// handle, and errors that name the object.
type lvNamed struct {
	noun string // "domain", "network"
	name string
	uuid string
}

func newLvNamed(noun string, name, uuid func() (string, error)) lvNamed {
	o := lvNamed{noun: noun}
	o.name, _ = name()
	o.uuid, _ = uuid()
	return o
}

func (o lvNamed) Name() string { return o.name }
func (o lvNamed) UUID() string { return o.uuid }

func (o lvNamed) op(what string, err error) error {
	if err == nil {
		return nil
	}
	return wrapErr(fmt.Sprintf("%s %s %s", what, o.noun, o.name), err)
}

type lvDomain struct {
	d *libvirt.Domain
	lvNamed
}

func newLvDomain(d *libvirt.Domain) *lvDomain {
	return &lvDomain{d: d, lvNamed: newLvNamed("domain", d.GetName, d.GetUUIDString)}
}

func (d *lvDomain) State() (libvirt.DomainState, error) {
	s, _, err := d.d.GetState()
	return s, d.op("state of", err)
}

func (d *lvDomain) Persistent() (bool, error) {
	p, err := d.d.IsPersistent()
	return p, d.op("persistence of", err)
}

func (d *lvDomain) XML(flags libvirt.DomainXMLFlags) (string, error) {
	x, err := d.d.GetXMLDesc(flags)
	return x, d.op("XML of", err)
}

func (d *lvDomain) Start() error   { return d.op("start", d.d.Create()) }
func (d *lvDomain) Destroy() error { return d.op("destroy", d.d.Destroy()) }
func (d *lvDomain) Reboot() error  { return d.op("reboot", d.d.Reboot(0)) }
func (d *lvDomain) Reset() error   { return d.op("reset", d.d.Reset(0)) }
func (d *lvDomain) Suspend() error { return d.op("suspend", d.d.Suspend()) }
func (d *lvDomain) Resume() error  { return d.op("resume", d.d.Resume()) }

func (d *lvDomain) Shutdown(acpi bool) error {
	if acpi {
		return d.op("shut down", d.d.ShutdownFlags(libvirt.DOMAIN_SHUTDOWN_ACPI_POWER_BTN))
	}
	return d.op("shut down", d.d.Shutdown())
}

func (d *lvDomain) UpdateDeviceLive(xml string) error {
	return d.op("update device of", d.d.UpdateDeviceFlags(xml, libvirt.DOMAIN_DEVICE_MODIFY_LIVE))
}

func (d *lvDomain) BlockIOTune(disk string) (*libvirt.DomainBlockIoTuneParameters, error) {
	p, err := d.d.GetBlockIoTune(disk, libvirt.DOMAIN_AFFECT_LIVE)
	return p, d.op("block I/O tune of "+disk+" of", err)
}

func (d *lvDomain) SetBlockIOTune(disk string, p *libvirt.DomainBlockIoTuneParameters) error {
	return d.op("set block I/O tune of "+disk+" of", d.d.SetBlockIoTune(disk, p, libvirt.DOMAIN_AFFECT_LIVE))
}

func (d *lvDomain) Migrate(dst Conn, params *libvirt.DomainMigrateParameters, flags libvirt.DomainMigrateFlags) (Domain, error) {
	lc, ok := dst.(*lvConn)
	if !ok {
		return nil, fmt.Errorf("migrate %s: destination is not a libvirt connection: %w", d.name, errNotLibvirt)
	}
	nd, err := d.d.Migrate3(lc.c, params, flags)
	if err != nil {
		return nil, d.op("migrate", err)
	}
	return newLvDomain(nd), nil
}

func (d *lvDomain) AbortJob() error { return d.op("abort job of", d.d.AbortJob()) }

func (d *lvDomain) CompletedJobStats() (*libvirt.DomainJobInfo, error) {
	j, err := d.d.GetJobStats(libvirt.DOMAIN_JOB_STATS_COMPLETED)
	return j, d.op("job stats of", err)
}

func (d *lvDomain) Free() { _ = d.d.Free() }

type lvNetwork struct {
	n *libvirt.Network
	lvNamed
}

func newLvNetwork(n *libvirt.Network) *lvNetwork {
	return &lvNetwork{n: n, lvNamed: newLvNamed("network", n.GetName, n.GetUUIDString)}
}

func (n *lvNetwork) Active() (bool, error) {
	a, err := n.n.IsActive()
	return a, n.op("state of", err)
}

func (n *lvNetwork) Persistent() (bool, error) {
	p, err := n.n.IsPersistent()
	return p, n.op("persistence of", err)
}

func (n *lvNetwork) XML() (string, error) {
	x, err := n.n.GetXMLDesc(0)
	return x, n.op("XML of", err)
}

func (n *lvNetwork) Start() error   { return n.op("start", n.n.Create()) }
func (n *lvNetwork) Destroy() error { return n.op("destroy", n.n.Destroy()) }
func (n *lvNetwork) Free()          { _ = n.n.Free() }

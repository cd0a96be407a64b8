package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// LockoutCheck says where the operator sits: the namespace whose paths must
// survive the run (the host's, normally) and the SSH connection the
// operator came in on.
type LockoutCheck struct {
	// Netns is the operator's namespace; "" = the host.
	Netns string
	// SSHConnection is $SSH_CONNECTION ("client port server port"); "" = none.
	SSHConnection string
}

// hostLockoutCheck is the check for this process: the host namespace and
// its SSH_CONNECTION.
func hostLockoutCheck() LockoutCheck {
	return LockoutCheck{SSHConnection: os.Getenv("SSH_CONNECTION")}
}

// LockoutRisk is one way a step would cut the operator's branch.
type LockoutRisk struct {
	Step string
	Path string // what it cuts: "the SSH connection from ...", "the default route ..."
	How  string // why: "link eth0 down", "partition drops ..."
}

func (r LockoutRisk) String() string {
	return fmt.Sprintf("step %s cuts %s (%s)", r.Step, r.Path, r.How)
}

// protectedPath is a destination the operator needs during the run.
type protectedPath struct {
	what   string
	addr   netip.Addr
	gw     bool           // the address is a default route's gateway
	needed func(int) bool // whether step i would cut something still needed
}

// lockoutRisks lists every step that would cut the path from the
// operator's namespace to the SSH client, the default gateway, or a
// remote endpoint (a libvirt URI) the run still needs, and every step on
// this machine that would cut the SSH connection to one of the
// experiment's hosts. It only reads
// routes; what each step cuts and needs, the step's fault or action says.
func (p *Plan) lockoutRisks(ctx context.Context, c LockoutCheck) ([]LockoutRisk, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	risks, err := p.nsRisks(c.Netns, p.hostCuts(c.Netns), func(h *netlink.Handle) ([]protectedPath, error) {
		return p.protectedPaths(ctx, h, c)
	})
	if err != nil {
		return nil, err
	}
	// The SSH connections to the experiment's hosts, from the namespaces
	// they are dialled from (lockout_hosts.go).
	more, err := p.hostPathRisks(ctx)
	return append(risks, more...), err
}

// nsRisks lists the steps that would cut a path from the namespace netns:
// cuts are what the steps do there, paths (read with a handle in netns)
// what must survive.
func (p *Plan) nsRisks(netns string, cuts cutSet, pathsIn func(*netlink.Handle) ([]protectedPath, error)) ([]LockoutRisk, error) {
	if cuts.empty() {
		return nil, nil
	}
	h, err := lockoutHandle(netns)
	if err != nil {
		return nil, fmt.Errorf("lock-out check: %w", err)
	}
	defer h.Close()
	paths, err := pathsIn(h)
	if err != nil {
		return nil, err
	}
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("lock-out check: list links: %w", err)
	}
	topo := newLinkTopo(links)
	if addrs, err := h.AddrList(nil, netlink.FAMILY_ALL); err == nil {
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				topo.addrs = append(topo.addrs, ip.Unmap())
			}
		}
	}
	var risks []LockoutRisk
	for _, pp := range paths {
		routes, err := h.RouteGet(pp.addr.AsSlice())
		if err != nil || len(routes) == 0 {
			continue // unreachable already: nothing a fault could cut
		}
		rt := routes[0]
		src, _ := netip.AddrFromSlice(rt.Src)
		src = src.Unmap()
		out := topo.byIndex[rt.LinkIndex]
		for i, st := range p.Steps {
			if st.Fault == nil || !pp.needed(i) {
				continue
			}
			name := st.Step.Name
			if out != nil && rt.Type != unix.RTN_LOCAL {
				if how, ok := cuts.cutsLink(name, out, topo); ok {
					risks = append(risks, LockoutRisk{Step: name, Path: pp.what, How: how})
					continue
				}
			}
			if how, ok := cuts.drops(name, pp.addr, src, topo.addrs); ok {
				risks = append(risks, LockoutRisk{Step: name, Path: pp.what, How: how})
			}
		}
	}
	return risks, nil
}

// CheckLockout refuses a plan that would lock the operator out, unless the
// experiment sets safety.allowLockout and the run is guarded (a guard
// reverts the cut if the runner dies behind it).
func (p *Plan) CheckLockout(ctx context.Context, c LockoutCheck, guarded bool) error {
	risks, err := p.lockoutRisks(ctx, c)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPlan, err)
	}
	p.Lockout, p.lockoutChecked = risks, true
	if len(risks) == 0 {
		return nil
	}
	if p.Exp.Safety.AllowLockout && guarded {
		return nil
	}
	lines := make([]string, len(risks))
	for i, r := range risks {
		lines[i] = "  " + r.String()
	}
	why := "set safety.allowLockout: true to run it anyway (only ever with a guard)"
	if p.Exp.Safety.AllowLockout {
		why = "safety.allowLockout is set, but this run has no guard to revert the cut if it dies"
	}
	return fmt.Errorf("%w: refusing a plan that would lock this host out, nothing was injected:\n%s\n%s",
		ErrPlan, strings.Join(lines, "\n"), why)
}

func (p *Plan) protectedPaths(ctx context.Context, h *netlink.Handle, c LockoutCheck) ([]protectedPath, error) {
	always := func(int) bool { return true }
	var out []protectedPath
	if f := strings.Fields(c.SSHConnection); len(f) >= 1 {
		if a, err := netip.ParseAddr(f[0]); err == nil {
			out = append(out, protectedPath{what: "the SSH connection from " + a.String(), addr: a.Unmap(), needed: always})
		}
	}
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("lock-out check: list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones != 0 {
				continue
			}
		}
		for _, gw := range routeGateways(r) {
			out = append(out, protectedPath{what: "the default route via " + gw.String(), addr: gw, gw: true, needed: always})
		}
	}
	out = append(out, p.endpointPaths(ctx)...)
	return out, nil
}

func routeGateways(r netlink.Route) []netip.Addr {
	var out []netip.Addr
	add := func(ip net.IP) {
		if a, ok := netip.AddrFromSlice(ip); ok && ip != nil {
			out = append(out, a.Unmap())
		}
	}
	add(r.Gw)
	for _, nh := range r.MultiPath {
		add(nh.Gw)
	}
	return out
}

// endpointPaths are the remote services the run's steps need (libvirt
// daemons, migration targets), as each fault and action says
// (faults.Endpointer). Step i needs an endpoint when a later step uses it,
// or when a fault at or before it does (its revert talks to it).
func (p *Plan) endpointPaths(ctx context.Context) []protectedPath {
	type use struct {
		host        string
		first, last int
		faultFirst  int
	}
	uses := map[string]*use{}
	var order []string
	for i, st := range p.Steps {
		var eps []faults.Endpoint
		if e, ok := st.Fault.(faults.Endpointer); ok {
			eps = e.Endpoints()
		} else if e, ok := st.Action.(faults.Endpointer); ok {
			eps = e.Endpoints()
		}
		for _, ep := range eps {
			if ep.Host == "" {
				continue
			}
			x := uses[ep.Name]
			if x == nil {
				x = &use{host: ep.Host, first: i, faultFirst: -1}
				uses[ep.Name] = x
				order = append(order, ep.Name)
			}
			x.last = i
			if st.Fault != nil && x.faultFirst < 0 {
				x.faultFirst = i
			}
		}
	}
	var out []protectedPath
	for _, name := range order {
		x := uses[name]
		for _, a := range resolveHost(ctx, x.host) {
			out = append(out, protectedPath{
				what: fmt.Sprintf("the path to %s (%s)", name, a),
				addr: a,
				needed: func(i int) bool {
					return i < x.last || (x.faultFirst >= 0 && i >= x.faultFirst)
				},
			})
		}
	}
	return out
}

func resolveHost(ctx context.Context, host string) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
	if err != nil {
		return nil
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs
}

// lockoutHandle is a netlink handle in the operator's namespace: for the
// host, the namespace this process runs in (the one the operator reaches).
func lockoutHandle(netns string) (*netlink.Handle, error) {
	if nsutil.IsHost(netns) {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	return nsutil.Handle(netns)
}

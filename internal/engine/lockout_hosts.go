package engine

import (
	"context"
	"fmt"
	"net/netip"
	"sort"

	"github.com/vishvananda/netlink"
)

// hostPath is how this machine reaches one of the experiment's hosts:
// the first hop it dials (the host, or the outermost jump host) and the
// namespace it dials from (dialNetns; "" = the one faultline runs in).
type hostPath struct {
	host, hop string
	addr      netip.Addr
	netns     string
}

// hostPaths lists the SSH connections of the plan's host sessions.
func (p *Plan) hostPaths(ctx context.Context) []hostPath {
	if p.Hosts == nil || p.Hosts.pool == nil {
		return nil
	}
	var out []hostPath
	for _, name := range sortedNames(p.Hosts.Execs) {
		// The session's own connection, already made: no dial here.
		c, err := p.Hosts.pool.Client(ctx, name)
		if err != nil || c == nil || c.Target == nil {
			continue
		}
		t := c.Target
		for t.Jump != nil {
			t = t.Jump
		}
		for _, a := range resolveHost(ctx, t.Address) {
			out = append(out, hostPath{host: name, hop: t.Name, addr: a, netns: t.DialNetns})
		}
	}
	return out
}

// hostPathRisks lists the steps on this machine that would cut the path
// carrying the SSH connection to a host: a link it leaves by, a bridge
// it crosses, a filter that drops it, in the namespace it is dialled
// from. Losing it aborts the run and the host reverts on its own (its
// lease), so it is refused like a lock-out of this machine: unless
// safety.allowLockout is set and the run is guarded. A step on the host
// itself that would cut it is the agent's to refuse (it checks the SSH
// connection it came in on).
func (p *Plan) hostPathRisks(ctx context.Context) ([]LockoutRisk, error) {
	byNs := map[string][]hostPath{}
	for _, hp := range p.hostPaths(ctx) {
		byNs[hp.netns] = append(byNs[hp.netns], hp)
	}
	nss := make([]string, 0, len(byNs))
	for ns := range byNs {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	always := func(int) bool { return true }
	var risks []LockoutRisk
	for _, ns := range nss {
		var paths []protectedPath
		for _, hp := range byNs[ns] {
			what := fmt.Sprintf("the SSH connection to host %s (%s", hp.host, hp.addr)
			if hp.hop != hp.host {
				what += " via jump host " + hp.hop
			}
			if ns != "" {
				what += ", dialled from netns " + ns
			}
			paths = append(paths, protectedPath{what: what + ")", addr: hp.addr, needed: always})
		}
		r, err := p.nsRisks(ns, p.hostCuts(ns), func(*netlink.Handle) ([]protectedPath, error) { return paths, nil })
		if err != nil {
			return nil, err
		}
		risks = append(risks, r...)
	}
	return risks, nil
}

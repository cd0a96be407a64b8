package experiments

import (
	"fmt"
	"path/filepath"

	"github.com/faultline/faultline/internal/hosts"
)

// Out-of-band kinds act on a host from outside it, through its BMC: with
// `on: hv-a` they mean "hv-a's BMC", dialled from this machine (or from
// the `netns` the host's BMC settings or `with` name), never from an agent
// on hv-a, which would die with the host it powers off. Their `with` is
// completed from the host's `bmc` settings (inventory variables
// faultline_bmc_*, bmc_*, ipmi_*, or an inline `bmc:`); what the step or
// probe writes itself wins.
var (
	outOfBandFaults = map[string]bool{"bmc.power": true}
	outOfBandProbes = map[string]bool{"bmc": true}
)

// outOfBand completes the `with` of out-of-band steps and probes that
// name a host in `on:`, before their kinds check their parameters. It
// reads the host set on its own: hosts() reports the set's errors.
func (v *validator) outOfBand() {
	e := v.exp
	var set *hosts.Set
	load := func() *hosts.Set {
		if set != nil {
			return set
		}
		defaults, _ := hosts.DecodeSpec(e.HostDefaults)
		inline, _ := hosts.DecodeHosts(e.Hosts)
		dir := "."
		if e.File != "" {
			dir = filepath.Dir(e.File)
		}
		s, err := hosts.Load(dir, e.Inventory, defaults, inline)
		if err != nil {
			return nil
		}
		set = s
		return set
	}
	for i, s := range e.Steps {
		if s == nil || s.On == "" || !outOfBandFaults[s.Kind()] {
			continue
		}
		p := fmt.Sprintf("steps[%d]", i)
		bmc, host, ok := v.hostBMC(load(), p, s.On, s.Kind())
		if !ok {
			continue
		}
		s.With = completeWith(s.With, bmc.With(), host)
	}
	for _, name := range v.probeNames() {
		pr := e.Probes[name]
		if pr == nil || pr.On == "" || !outOfBandProbes[pr.Inline.Kind] {
			continue
		}
		bmc, host, ok := v.hostBMC(load(), joinPath("probes", name), pr.On, pr.Inline.Kind+" probe")
		if !ok {
			continue
		}
		w := bmc.With()
		if ns, _ := w["netns"].(string); ns != "" && pr.Netns == "" {
			pr.Netns = ns // a probe's namespace is the probe's own
		}
		delete(w, "netns")
		pr.Inline.With = completeWith(pr.Inline.With, w, host)
	}
}

// hostBMC finds the BMC of the one host `on:` names.
func (v *validator) hostBMC(set *hosts.Set, p, on, what string) (*hosts.BMC, string, bool) {
	if set == nil {
		return nil, "", false // hosts() says why
	}
	picked, err := set.Select(hosts.Selector{On: on})
	if err != nil {
		return nil, "", false // hosts() says it, with its position
	}
	if len(picked) != 1 {
		v.errf(p+".on", "%s acts through one host's BMC, from this machine: %q selects %d hosts; name one", what, on, len(picked))
		return nil, "", false
	}
	h, _ := set.Host(picked[0])
	if h.BMC == nil || h.BMC.Address == "" {
		v.errf(p+".on", "host %s (%s) has no BMC address: set one of %s in the inventory, bmc: {address: …} on the host, or with.address",
			h.Name, h.Source, hosts.BMCVarNames())
		return h.BMC, h.Name, h.BMC != nil
	}
	return h.BMC, h.Name, true
}

// completeWith returns the host's settings with the written `with` over
// them, and the host's name for messages.
func completeWith(with, fromHost map[string]any, host string) map[string]any {
	out := map[string]any{}
	for k, val := range fromHost {
		out[k] = val
	}
	for k, val := range with {
		out[k] = val
	}
	if _, ok := out["host"]; !ok {
		out["host"] = host
	}
	return out
}

// runOutOfBandHere keeps out-of-band steps and probes on this machine:
// `on:` named whose BMC they use, not where they run, so no agent is
// started on that host for them.
func (v *validator) runOutOfBandHere() {
	for _, s := range v.exp.Steps {
		if s != nil && outOfBandFaults[s.Kind()] {
			s.Hosts = nil
		}
	}
	for _, p := range v.exp.Probes {
		if p != nil && outOfBandProbes[p.Inline.Kind] {
			p.Host = ""
		}
	}
}

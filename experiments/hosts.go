package experiments

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/faultline/faultline/internal/hosts"
)

// hosts checks `inventory:`, `hostDefaults:` and `hosts:`, builds the
// experiment's host set and resolves every step's and probe's `on:` to
// host names, so that a name that is not there fails at load time, with
// its position, before anything is dialed.
func (v *validator) hosts() {
	e := v.exp
	defaults, derrs := hosts.DecodeSpec(e.HostDefaults)
	for _, fe := range derrs {
		v.hostFieldErr("hostDefaults", fe)
	}
	inline, herrs := hosts.DecodeHosts(e.Hosts)
	for _, fe := range herrs {
		v.hostFieldErr("hosts", fe)
	}
	used := v.usesHosts()
	if !used && e.Inventory == "" && len(e.Hosts) == 0 && len(e.HostDefaults) == 0 {
		return
	}
	if v.failed("inventory") {
		return
	}
	// A bad field of a host does not hide the `on:` errors: the names
	// are known either way.
	dir := "."
	if e.File != "" {
		dir = filepath.Dir(e.File)
	}
	set, err := hosts.Load(dir, e.Inventory, defaults, inline)
	if err != nil {
		field := "hosts"
		if e.Inventory != "" {
			field = "inventory"
		}
		v.errf(field, "%s", strings.TrimPrefix(err.Error(), field+": "))
		return
	}
	e.HostSet = set
	for i, s := range e.Steps {
		if s == nil || !v.written(fmt.Sprintf("steps[%d].on", i), s.On != "") {
			if s != nil && (s.Count != 0 || s.Percent != 0 || s.Seed != nil) {
				v.errf(fmt.Sprintf("steps[%d]", i), "count, percent and seed need on:")
			}
			continue
		}
		s.Hosts = v.selectHosts(set, fmt.Sprintf("steps[%d]", i), s.On, s.Count, s.Percent, &s.Seed)
	}
	for _, name := range v.probeNames() {
		p := e.Probes[name]
		fp := joinPath("probes", name)
		if p == nil || !v.written(fp+".on", p.On != "") {
			continue
		}
		picked := v.selectHosts(set, fp, p.On, 0, 0, nil)
		switch {
		case picked == nil:
		case len(picked) != 1:
			v.errf(fp+".on", "a probe runs on one host; %q selects %d (%s): name one host", p.On, len(picked), strings.Join(picked, ", "))
		default:
			p.Host = picked[0]
		}
	}
}

// usesHosts: some step or probe sets on:.
func (v *validator) usesHosts() bool {
	for i, s := range v.exp.Steps {
		if s != nil && v.written(fmt.Sprintf("steps[%d].on", i), s.On != "") {
			return true
		}
	}
	for name, p := range v.exp.Probes {
		if p != nil && v.written(joinPath("probes", name)+".on", p.On != "") {
			return true
		}
	}
	return false
}

// selectHosts resolves one `on:` and records the seed it was picked with.
func (v *validator) selectHosts(set *hosts.Set, p, on string, count, percent int, seed **int) []string {
	sel := hosts.Selector{On: on, Count: count, Percent: float64(percent)}
	if seed != nil && *seed != nil {
		s := int64(**seed)
		sel.Seed = &s
	}
	if err := sel.Validate(); err != nil {
		for _, e := range unjoin(err) {
			field := p + ".on"
			msg := strings.TrimPrefix(e.Error(), "on: ")
			switch {
			case strings.HasPrefix(msg, "count and percent"), strings.HasPrefix(msg, "percent"):
				field = p + ".percent"
			case strings.HasPrefix(msg, "count"):
				field = p + ".count"
			}
			v.errf(field, "%s", msg)
		}
		return nil
	}
	picked, err := set.Select(sel)
	if err != nil {
		v.errf(p+".on", "%s", strings.TrimPrefix(err.Error(), "on: "))
		return nil
	}
	if seed != nil && sel.Seed != nil && isMulti(on) {
		s := int(*sel.Seed)
		*seed = &s // recorded in the journal: the same seed picks the same hosts
	}
	return picked
}

func isMulti(on string) bool {
	return strings.HasPrefix(on, hosts.GroupPrefix) || strings.ContainsAny(on, "*?[")
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// hostFieldErr positions an error of the hosts package: an unknown field
// at its key, a bad value at the value.
func (v *validator) hostFieldErr(top string, fe hosts.FieldError) {
	path := top
	if fe.Field != "" {
		path = top + "." + fe.Field
	}
	if strings.HasPrefix(fe.Msg, "unknown field") || strings.HasPrefix(fe.Msg, "bad host name") {
		v.keyErrf(path, "%s", fe.Msg)
		return
	}
	v.errf(path, "%s", fe.Msg)
}

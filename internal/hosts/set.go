package hosts

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Set is every host an experiment may name in `on:`: the inventory's
// hosts with inline `hosts:` entries merged over them field by field, the
// inventory's groups, and `hostDefaults:`.
//
// Precedence when dialing, first set wins: the inline entry, the
// inventory's host and group variables, ~/.ssh/config, hostDefaults, the
// built-in defaults (user root, port 22).
type Set struct {
	Hosts    map[string]*Host
	Groups   map[string][]string // group → sorted host names; "all" holds every host
	Defaults Spec
}

// NewSet merges inline hosts over an inventory (nil when the experiment
// names none). Errors name the host.
func NewSet(inv *Inventory, defaults Spec, inline map[string]Spec) (*Set, error) {
	s := &Set{Hosts: map[string]*Host{}, Groups: map[string][]string{}, Defaults: defaults}
	if inv != nil {
		for name, h := range inv.Hosts {
			c := *h
			s.Hosts[name] = &c
		}
		for g, m := range inv.Groups {
			s.Groups[g] = append([]string(nil), m...)
		}
	}
	for _, name := range sortedKeys(inline) {
		if h, ok := s.Hosts[name]; ok {
			h.Spec = h.Spec.over(inline[name])
			h.Source += ", overridden by hosts." + name
			continue
		}
		s.Hosts[name] = &Host{Name: name, Spec: inline[name], Vars: map[string]string{}, Source: "hosts." + name}
		s.Groups["all"] = append(s.Groups["all"], name)
	}
	sort.Strings(s.Groups["all"])
	var errs []error
	for _, name := range sortedKeys(s.Hosts) {
		h := s.Hosts[name]
		if h.Jump == name {
			errs = append(errs, fmt.Errorf("host %s (%s): jump: a host cannot be its own jump host", name, h.Source))
		}
	}
	return s, errors.Join(errs...)
}

// Host returns a host by name.
func (s *Set) Host(name string) (*Host, bool) {
	h, ok := s.Hosts[name]
	return h, ok
}

// Names lists every host, sorted.
func (s *Set) Names() []string { return sortedKeys(s.Hosts) }

func (s *Set) groupNames() []string {
	var out []string
	for _, g := range sortedKeys(s.Groups) {
		if g != "all" && g != "ungrouped" {
			out = append(out, g)
		}
	}
	return out
}

func short(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	if len(list) > 8 {
		return strings.Join(list[:8], ", ") + fmt.Sprintf(", … (%d in all)", len(list))
	}
	return strings.Join(list, ", ")
}

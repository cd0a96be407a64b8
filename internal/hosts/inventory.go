package hosts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Inventory is an Ansible inventory reduced to what faultline needs:
// hosts with their connection settings, and groups (children resolved).
type Inventory struct {
	File   string
	Hosts  map[string]*Host
	Groups map[string][]string // group → sorted member host names; "all" holds every host
}

// Host is one machine: its connection settings (inline over inventory),
// the groups it belongs to, every variable the inventory gave it, and
// where it was defined ("inventory.ini:12", or "hosts" for inline hosts).
type Host struct {
	Name string
	Spec
	Groups []string // sorted; "all" left out
	// Vars never reach a journal (an inventory may hold ansible_password).
	Vars   map[string]string `json:"-"`
	Source string
}

// raw is an inventory as written, before groups and variables are
// resolved; the INI and YAML readers both produce it.
type raw struct {
	file     string
	groups   map[string]*rawGroup
	hosts    []string // in order of first appearance
	hostLine map[string]int
	hostVars map[string][]rawVar
}

type rawGroup struct {
	name     string
	line     int
	hosts    []string
	children []childRef
	vars     []rawVar
}

type childRef struct {
	name string
	line int
}

type rawVar struct {
	key, value string
	line       int
}

func newRaw(file string) *raw {
	return &raw{file: file, groups: map[string]*rawGroup{}, hostLine: map[string]int{}, hostVars: map[string][]rawVar{}}
}

func (r *raw) group(name string, line int) *rawGroup {
	g, ok := r.groups[name]
	if !ok {
		g = &rawGroup{name: name, line: line}
		r.groups[name] = g
	}
	return g
}

func (r *raw) addHost(group, host string, line int, vars []rawVar) {
	if _, seen := r.hostLine[host]; !seen {
		r.hostLine[host] = line
		r.hosts = append(r.hosts, host)
	}
	r.hostVars[host] = append(r.hostVars[host], vars...)
	if group != "" {
		g := r.group(group, line)
		g.hosts = append(g.hosts, host)
	}
}

func (r *raw) at(line int) string {
	if line <= 0 {
		return r.file
	}
	return fmt.Sprintf("%s:%d", r.file, line)
}

// LoadInventory reads an Ansible inventory file: YAML when it ends in
// .yaml/.yml or starts like a YAML mapping, INI otherwise. Every error
// names file:line and, where one is concerned, the host.
func LoadInventory(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return ParseInventory(path, data)
}

// ParseInventory reads inventory text; file names it in errors and picks
// the format by extension (.yaml, .yml → YAML, .ini/.cfg/none → INI, or
// sniffed when unknown).
func ParseInventory(file string, data []byte) (*Inventory, error) {
	var r *raw
	var err error
	if isYAML(file, data) {
		r, err = parseYAML(file, data)
	} else {
		r, err = parseINI(file, data)
	}
	if err != nil {
		return nil, err
	}
	return r.resolve()
}

func isYAML(file string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return true
	case ".ini", ".cfg", ".hosts":
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			continue
		}
		if t == "---" {
			return true
		}
		return strings.HasSuffix(t, ":") && !strings.HasPrefix(t, "[")
	}
	return false
}

// resolve computes group membership through children, applies variables
// in Ansible's order (all, then groups by depth and name, then the host's
// own) and maps the connection variables to a Spec.
func (r *raw) resolve() (*Inventory, error) {
	var errs []error
	all := r.group("all", 0)
	// Groups nobody lists as a child hang under all.
	isChild := map[string]bool{}
	for _, g := range r.groups {
		for _, c := range g.children {
			isChild[c.name] = true
			if _, ok := r.groups[c.name]; !ok {
				r.group(c.name, c.line) // an empty group named only as a child
			}
		}
	}
	for _, name := range sortedKeys(r.groups) {
		if name != "all" && !isChild[name] {
			all.children = append(all.children, childRef{name: name})
		}
	}
	depth := map[string]int{}
	members := map[string]map[string]bool{}
	var visit func(name string, stack []string) map[string]bool
	visit = func(name string, stack []string) map[string]bool {
		if m, ok := members[name]; ok {
			return m
		}
		for i, s := range stack {
			if s == name {
				g := r.groups[name]
				errs = append(errs, fmt.Errorf("%s: group %q is its own child (%s)", r.at(g.line), name, strings.Join(append(stack[i:], name), " → ")))
				return map[string]bool{}
			}
		}
		g := r.groups[name]
		m := map[string]bool{}
		for _, h := range g.hosts {
			m[h] = true
		}
		for _, c := range g.children {
			for h := range visit(c.name, append(stack, name)) {
				m[h] = true
			}
		}
		members[name] = m
		return m
	}
	var setDepth func(name string, d int, seen map[string]bool)
	setDepth = func(name string, d int, seen map[string]bool) {
		if seen[name] {
			return
		}
		if d > depth[name] {
			depth[name] = d
		}
		seen[name] = true
		for _, c := range r.groups[name].children {
			setDepth(c.name, d+1, seen)
		}
		delete(seen, name)
	}
	visit("all", nil)
	for _, name := range sortedKeys(r.groups) {
		visit(name, nil) // groups in a cycle are nobody's root: find them too
	}
	setDepth("all", 0, map[string]bool{})
	for _, h := range r.hosts {
		all.hosts = append(all.hosts, h)
		members["all"][h] = true
	}

	inv := &Inventory{File: r.file, Hosts: map[string]*Host{}, Groups: map[string][]string{}}
	hostGroups := map[string][]string{}
	for name, m := range members {
		list := sortedKeys(m)
		inv.Groups[name] = list
		for _, h := range list {
			hostGroups[h] = append(hostGroups[h], name)
		}
	}
	for _, name := range r.hosts {
		groups := hostGroups[name]
		sort.Slice(groups, func(i, j int) bool {
			a, b := groups[i], groups[j]
			if depth[a] != depth[b] {
				return depth[a] < depth[b]
			}
			return a < b
		})
		vars := map[string]rawVar{}
		h := &Host{Name: name, Vars: map[string]string{}, Source: r.at(r.hostLine[name])}
		for _, g := range groups {
			if g != "all" {
				h.Groups = append(h.Groups, g)
			}
			for _, v := range r.groups[g].vars {
				vars[v.key] = v
			}
		}
		for _, v := range r.hostVars[name] {
			vars[v.key] = v
		}
		sort.Strings(h.Groups)
		for k, v := range vars {
			h.Vars[k] = v.value
		}
		spec, err := r.specOf(name, vars)
		if err != nil {
			errs = append(errs, err)
		}
		bmc, err := r.bmcOf(name, vars)
		if err != nil {
			errs = append(errs, err)
		}
		spec.BMC = bmc
		spec.ResolvePaths(filepath.Dir(r.file))
		h.Spec = spec
		inv.Hosts[name] = h
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return inv, nil
}

// connVars maps Ansible's connection variables (and faultline's own) to
// the Spec field they set; the first name of a pair wins over its alias.
var connVars = []struct {
	names []string
	set   func(*Spec, string) error
}{
	{[]string{"ansible_host", "ansible_ssh_host"}, func(s *Spec, v string) error { s.Address = v; return nil }},
	{[]string{"ansible_user", "ansible_ssh_user"}, func(s *Spec, v string) error { s.User = v; return nil }},
	{[]string{"ansible_port", "ansible_ssh_port"}, func(s *Spec, v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("bad port %q: want 1..65535", v)
		}
		s.Port = p
		return nil
	}},
	{[]string{"ansible_ssh_private_key_file", "ansible_private_key_file"}, func(s *Spec, v string) error { s.Identity = v; return nil }},
	{[]string{"faultline_known_hosts"}, func(s *Spec, v string) error { s.KnownHosts = v; return nil }},
	{[]string{"faultline_dial_netns"}, func(s *Spec, v string) error { s.DialNetns = v; return nil }},
	{[]string{"faultline_jump"}, func(s *Spec, v string) error { s.Jump = v; return nil }},
	{[]string{"faultline_host_key"}, func(s *Spec, v string) error { s.HostKey = v; return nil }},
}

func (r *raw) specOf(host string, vars map[string]rawVar) (Spec, error) {
	var s Spec
	var errs []error
	for _, cv := range connVars {
		for i := len(cv.names) - 1; i >= 0; i-- { // aliases first, the main name last wins
			v, ok := vars[cv.names[i]]
			if !ok {
				continue
			}
			if err := cv.set(&s, v.value); err != nil {
				errs = append(errs, fmt.Errorf("%s: host %s: %s: %w", r.at(v.line), host, v.key, err))
			}
		}
	}
	return s, errors.Join(errs...)
}

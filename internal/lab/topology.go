package lab

import (
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/strictyaml"
)

// Topology is a lab description, version 1. Every node, switch and
// hypervisor becomes a network namespace of the same name.
type Topology struct {
	Version     int           `yaml:"version"`
	Name        string        `yaml:"name"`
	Subnet      string        `yaml:"subnet"`
	STP         STP           `yaml:"stp"`
	Switches    []*Switch     `yaml:"switches"`
	Trunks      [][]string    `yaml:"trunks"`
	Nodes       []*Node       `yaml:"nodes"`
	Hypervisors []*Hypervisor `yaml:"hypervisors"`
	VMs         []*VM         `yaml:"vms"`

	// File is where it was loaded from ("" for the embedded seed).
	File string `yaml:"-"`
}

// STP holds the spanning-tree timers of every bridge of the lab.
type STP struct {
	ForwardDelay string `yaml:"forwardDelay"`
	HelloTime    string `yaml:"helloTime"`
	MaxAge       string `yaml:"maxAge"`
}

// Switch is a Linux bridge `br0` alone in its own namespace.
type Switch struct {
	Name     string `yaml:"name"`
	Priority int    `yaml:"priority"` // STP bridge priority; lower wins root
}

// Node is a host with one or more uplinks (up1, up2, ...). With several
// uplinks its address lives on a bridge `br0` joining them.
type Node struct {
	Name    string   `yaml:"name"`
	Address string   `yaml:"address"`
	Uplinks []string `yaml:"uplinks"`
	SAN     *SAN     `yaml:"san"`
	// Priority is the STP priority of the node's bridge (0: default).
	Priority int `yaml:"priority"`
}

// SAN makes a node serve one NBD disk per VM that mirrors onto it.
type SAN struct {
	Size string `yaml:"size"`
}

// Hypervisor is a node running its own libvirtd; its VMs' NICs join br0.
type Hypervisor struct {
	Name    string   `yaml:"name"`
	Address string   `yaml:"address"`
	Uplinks []string `yaml:"uplinks"`
}

// VM is a QEMU guest booted from the lab's guest image.
type VM struct {
	Name       string   `yaml:"name"`
	Hypervisor string   `yaml:"hypervisor"`
	Address    string   `yaml:"address"`
	Memory     string   `yaml:"memory"`
	VRRP       *VRRP    `yaml:"vrrp"`
	Mirror     []string `yaml:"mirror"`
}

// VRRP makes the guest run keepalived for a virtual IP.
type VRRP struct {
	VIP      string `yaml:"vip"`
	Priority int    `yaml:"priority"`
	RouterID int    `yaml:"routerID"`
}

//go:embed topologies/seed.yaml
var seedYAML []byte

// Seed returns the embedded default topology (the reference scenario).
func Seed() *Topology {
	t, err := ParseTopology("seed.yaml", seedYAML)
	if err != nil {
		panic("embedded seed topology: " + err.Error())
	}
	t.File = ""
	return t
}

// LoadTopology reads and validates a topology file.
func LoadTopology(path string) (*Topology, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	return ParseTopology(path, b)
}

// ParseTopology decodes strictly (unknown fields, duplicate keys and
// wrong types are errors) and validates; an invalid file is a
// *strictyaml.ErrorList naming file:line:column and field of every
// problem, all at once.
func ParseTopology(file string, b []byte) (*Topology, error) {
	var t Topology
	doc, ok := strictyaml.Decode(file, b, &t, strictyaml.Options{What: "a lab topology (version: 1, name, subnet, ...)"})
	if !ok {
		return nil, doc.Errs.Err()
	}
	v := &validator{doc: doc}
	v.check(&t)
	if err := doc.Errs.Err(); err != nil {
		return nil, err
	}
	t.File = file
	return &t, nil
}

type validator struct{ doc *strictyaml.Doc }

// at reports a problem at the field of path (e.g. "vms[0].memory").
func (v *validator) at(path, format string, args ...any) {
	v.doc.Errorf(path, format, args...)
}

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-]{0,10}$`) })

// LabPrefix is the only address range lab addresses may use.
var LabPrefix = netip.MustParsePrefix("198.18.0.0/15")

func (v *validator) check(t *Topology) {
	if t.Version != 1 {
		v.at("version", "version must be 1, not %d", t.Version)
	}
	if !nameRE().MatchString(t.Name) {
		v.at("name", "name %q must match %s", t.Name, nameRE())
	}
	subnet, err := netip.ParsePrefix(t.Subnet)
	if err != nil || !LabPrefix.Contains(subnet.Addr()) || subnet.Bits() < LabPrefix.Bits() {
		v.at("subnet", "subnet %q must be a prefix inside %s", t.Subnet, LabPrefix)
	}
	for k, s := range map[string]string{"forwardDelay": t.STP.ForwardDelay, "helloTime": t.STP.HelloTime, "maxAge": t.STP.MaxAge} {
		if s == "" {
			continue
		}
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			v.at("stp."+k, "bad duration %q", s)
		}
	}
	names := map[string]string{} // name -> kind
	claim := func(path, name, kind string) {
		if !nameRE().MatchString(name) {
			v.at(path, "%s name %q must match %s (it names a network namespace)", kind, name, nameRE())
			return
		}
		if prev, ok := names[name]; ok {
			v.at(path, "%s name %q is already used by a %s", kind, name, prev)
			return
		}
		names[name] = kind
	}
	addrs := map[netip.Addr]bool{}
	address := func(path, s string) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			v.at(path, "address %q must be CIDR like 198.18.10.5/24", s)
			return
		}
		if subnet.IsValid() && !subnet.Contains(p.Addr()) {
			v.at(path, "address %s is outside the subnet %s", s, t.Subnet)
			return
		}
		if addrs[p.Addr()] {
			v.at(path, "address %s is used twice", p.Addr())
		}
		addrs[p.Addr()] = true
	}
	for i, s := range t.Switches {
		claim(fmt.Sprintf("switches[%d].name", i), s.Name, "switch")
		if s.Priority < 0 || s.Priority > 65535 {
			v.at(fmt.Sprintf("switches[%d].priority", i), "priority %d must be 0..65535", s.Priority)
		}
	}
	isSwitch := func(n string) bool { return names[n] == "switch" }
	for i, tr := range t.Trunks {
		if len(tr) != 2 || tr[0] == tr[1] || !isSwitch(tr[0]) || !isSwitch(tr[1]) {
			v.at(fmt.Sprintf("trunks[%d]", i), "a trunk joins two different switches, got %v", tr)
		}
	}
	uplinks := func(path string, ups []string) {
		if len(ups) == 0 {
			v.at(path, "at least one uplink is needed")
		}
		seen := map[string]bool{}
		for j, u := range ups {
			if !isSwitch(u) {
				v.at(fmt.Sprintf("%s[%d]", path, j), "uplink %q is not a switch", u)
			}
			if seen[u] {
				v.at(fmt.Sprintf("%s[%d]", path, j), "two uplinks to switch %q", u)
			}
			seen[u] = true
		}
	}
	for i, n := range t.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		claim(p+".name", n.Name, "node")
		address(p+".address", n.Address)
		uplinks(p+".uplinks", n.Uplinks)
		if n.Priority < 0 || n.Priority > 65535 {
			v.at(p+".priority", "priority %d must be 0..65535", n.Priority)
		}
		if n.SAN != nil {
			if _, err := ParseSize(n.SAN.Size); err != nil {
				v.at(p+".san.size", "%v", err)
			}
		}
	}
	for i, h := range t.Hypervisors {
		p := fmt.Sprintf("hypervisors[%d]", i)
		claim(p+".name", h.Name, "hypervisor")
		address(p+".address", h.Address)
		uplinks(p+".uplinks", h.Uplinks)
	}
	vmNames := map[string]bool{}
	for i, m := range t.VMs {
		p := fmt.Sprintf("vms[%d]", i)
		if !nameRE().MatchString(m.Name) || vmNames[m.Name] {
			v.at(p+".name", "VM name %q must be unique and match %s", m.Name, nameRE())
		}
		vmNames[m.Name] = true
		if names[m.Hypervisor] != "hypervisor" {
			v.at(p+".hypervisor", "%q is not a hypervisor of this topology", m.Hypervisor)
		}
		address(p+".address", m.Address)
		if mb, err := ParseSize(m.Memory); err != nil {
			v.at(p+".memory", "%v", err)
		} else if mb < 64<<20 {
			v.at(p+".memory", "memory %s is below 64MiB, too little for the guest", m.Memory)
		}
		if m.VRRP != nil {
			if vip, err := netip.ParsePrefix(m.VRRP.VIP); err != nil || (subnet.IsValid() && !subnet.Contains(vip.Addr())) {
				v.at(p+".vrrp.vip", "vip %q must be CIDR inside the subnet %s", m.VRRP.VIP, t.Subnet)
			}
			if m.VRRP.Priority < 1 || m.VRRP.Priority > 254 {
				v.at(p+".vrrp.priority", "priority %d must be 1..254", m.VRRP.Priority)
			}
			if m.VRRP.RouterID < 1 || m.VRRP.RouterID > 255 {
				v.at(p+".vrrp.routerID", "routerID %d must be 1..255", m.VRRP.RouterID)
			}
		}
		if len(m.Mirror) != 0 && len(m.Mirror) != 2 {
			v.at(p+".mirror", "a mirror has exactly two SAN nodes, got %d", len(m.Mirror))
		}
		for j, s := range m.Mirror {
			if n := t.node(s); n == nil || n.SAN == nil {
				v.at(fmt.Sprintf("%s.mirror[%d]", p, j), "%q is not a SAN node (a node with san:)", s)
			}
		}
	}
}

func (t *Topology) node(name string) *Node {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Namespaces lists every network namespace the topology makes, sorted.
func (t *Topology) Namespaces() []string {
	var out []string
	for _, s := range t.Switches {
		out = append(out, s.Name)
	}
	for _, n := range t.Nodes {
		out = append(out, n.Name)
	}
	for _, h := range t.Hypervisors {
		out = append(out, h.Name)
	}
	sort.Strings(out)
	return out
}

// ParseSize reads "128MiB", "1GiB", "512KiB" or a plain byte count.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var n int64
			if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != num {
				break
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("bad size %q (want e.g. 128MiB, 1GiB)", s)
}

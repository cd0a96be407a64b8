package lab

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
	"golang.org/x/sys/unix"
	"libvirt.org/go/libvirt"
)

// LabStatus describes the lab as it is now.
type LabStatus struct {
	Topology    string             `json:"topology"`
	Up          bool               `json:"up"`
	Namespaces  []NamespaceStatus  `json:"namespaces"`
	Hypervisors []HypervisorStatus `json:"hypervisors"`
	VMs         []VMStatus         `json:"vms"`
	VIPs        []string           `json:"vips,omitempty"`
	Processes   int                `json:"processes"`
	MemoryBytes int64              `json:"memoryBytes"`      // proportional set size of every lab process
	UpTime      time.Duration      `json:"upTime,omitempty"` // set by Up: from its call to all VMs serving
	Management  *Management        `json:"management,omitempty"`
}

// Management is how to reach the nodes' sshd: from namespace Netns, with
// Key, checking host keys against KnownHosts.
type Management struct {
	Netns      string `json:"netns"`
	Subnet     string `json:"subnet"`
	Key        string `json:"key"`
	KnownHosts string `json:"knownHosts"`
}

// NamespaceStatus is one node, switch or hypervisor namespace.
type NamespaceStatus struct {
	Name   string       `json:"name"`
	Kind   string       `json:"kind"` // switch, node, hypervisor
	Exists bool         `json:"exists"`
	Links  []LinkStatus `json:"links"`
}

// LinkStatus is one interface of a lab namespace.
type LinkStatus struct {
	Name      string   `json:"name"`
	Master    string   `json:"master,omitempty"`
	Up        bool     `json:"up"`
	Carrier   bool     `json:"carrier"`
	Addresses []string `json:"addresses,omitempty"`
}

// HypervisorStatus is one libvirtd.
type HypervisorStatus struct {
	Name    string `json:"name"`
	URI     string `json:"uri"`
	Answers bool   `json:"answers"`
	Domains int    `json:"domains"`
	Error   string `json:"error,omitempty"`
}

// VMStatus is one guest, where the topology put it or wherever it runs now.
type VMStatus struct {
	Name       string `json:"name"`
	Hypervisor string `json:"hypervisor"` // where it is defined and active (or defined)
	State      string `json:"state"`
	Address    string `json:"address"`
}

// Status reports the lab recorded in the state file (down: Up is false).
func Status(ctx context.Context) (*LabStatus, error) {
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	s := st.get()
	out := &LabStatus{Topology: s.Topology}
	topo := s.Spec
	if topo == nil {
		return out, nil
	}
	kinds := map[string]string{}
	for _, x := range topo.Switches {
		kinds[x.Name] = "switch"
	}
	for _, x := range topo.Nodes {
		kinds[x.Name] = "node"
	}
	for _, x := range topo.Hypervisors {
		kinds[x.Name] = "hypervisor"
	}
	out.Up = true
	for _, ns := range topo.Namespaces() {
		ns := namespaceStatus(ns, kinds[ns])
		out.Up = out.Up && ns.Exists
		out.Namespaces = append(out.Namespaces, ns)
	}
	where := map[string]VMStatus{}
	for _, h := range topo.Hypervisors {
		hs := HypervisorStatus{Name: h.Name, URI: URI(h.Name)}
		doms, err := listDomains(h.Name)
		if err != nil {
			hs.Error = err.Error()
			out.Up = false
		} else {
			hs.Answers = true
			hs.Domains = len(doms)
			for _, d := range doms {
				// An active copy wins over a defined but stopped one.
				if prev, ok := where[d.Name]; !ok || prev.State != "running" {
					where[d.Name] = d
				}
			}
		}
		out.Hypervisors = append(out.Hypervisors, hs)
	}
	for _, vm := range topo.VMs {
		p, _ := netip.ParsePrefix(vm.Address)
		v, ok := where[vm.Name]
		if !ok {
			v = VMStatus{Name: vm.Name, State: "undefined"}
		}
		v.Address = p.Addr().String()
		out.VMs = append(out.VMs, v)
	}
	out.VIPs = topo.VIPs()
	if s.Mgmt != "" {
		out.Management = &Management{Netns: s.Mgmt, Subnet: MgmtSubnet, Key: ClientKey(), KnownHosts: KnownHosts()}
	}
	pids := labProcesses(s.inodes())
	out.Processes = len(pids)
	for _, p := range pids {
		out.MemoryBytes += pss(p)
	}
	return out, nil
}

func namespaceStatus(name, kind string) NamespaceStatus {
	ns := NamespaceStatus{Name: name, Kind: kind}
	h, err := nsutil.Handle(name)
	if err != nil {
		return ns
	}
	defer h.Close()
	ns.Exists = true
	links, err := h.LinkList()
	if err != nil {
		return ns
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Name == "lo" {
			continue
		}
		ls := LinkStatus{Name: a.Name, Master: names[a.MasterIndex], Up: a.Flags&1 != 0, Carrier: a.RawFlags&unix.IFF_LOWER_UP != 0}
		if addrs, err := h.AddrList(l, syscall.AF_INET); err == nil {
			for _, ad := range addrs {
				ls.Addresses = append(ls.Addresses, ad.IPNet.String())
			}
		}
		ns.Links = append(ns.Links, ls)
	}
	return ns
}

func listDomains(hv string) ([]VMStatus, error) {
	if _, err := os.Stat(SocketPath(hv)); err != nil {
		return nil, fmt.Errorf("libvirtd not running: %w", err)
	}
	c, err := libvirt.NewConnect(URI(hv))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	doms, err := c.ListAllDomains(0)
	if err != nil {
		return nil, err
	}
	var out []VMStatus
	for _, d := range doms {
		name, _ := d.GetName()
		state, _, _ := d.GetState()
		out = append(out, VMStatus{Name: name, Hypervisor: hv, State: stateName(state)})
		d.Free()
	}
	return out, nil
}

func stateName(s libvirt.DomainState) string {
	switch s {
	case libvirt.DOMAIN_RUNNING:
		return "running"
	case libvirt.DOMAIN_PAUSED:
		return "paused"
	case libvirt.DOMAIN_SHUTDOWN:
		return "shutdown"
	case libvirt.DOMAIN_SHUTOFF:
		return "shutoff"
	case libvirt.DOMAIN_CRASHED:
		return "crashed"
	case libvirt.DOMAIN_BLOCKED:
		return "blocked"
	case libvirt.DOMAIN_PMSUSPENDED:
		return "pmsuspended"
	}
	return "unknown"
}

// labProcesses lists the processes whose network namespace is one of
// inodes (never this process).
func labProcesses(inodes map[uint64]bool) []int {
	if len(inodes) == 0 {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
			continue
		}
		if inodes[st.Ino] {
			out = append(out, pid)
		}
	}
	return out
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie is gone for our purposes.
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// pss is a process's proportional set size in bytes (shared pages split
// between their users, so the sum over processes does not count twice).
func pss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

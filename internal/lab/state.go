package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// StateDir holds everything the lab writes on the host: the state file,
// each hypervisor's private libvirt directories and sockets, SAN disks,
// SSH keys.
const StateDir = "/run/faultline/lab"

// stateDir is StateDir; specs point it at a temporary directory.
var stateDir = StateDir

// stateFile records what Up made, written before each thing is made.
func stateFile() string { return filepath.Join(stateDir, "state.json") }

// record is what a lab on this machine is made of on this machine. Down
// acts on nothing else: a namespace only while its inode is the recorded
// one, a process only while its start time is the recorded one.
type record struct {
	Topology string `json:"topology"`
	// Namespaces are recorded before they are made, Netns once they exist.
	Namespaces []string      `json:"namespaces"`
	Netns      []NetnsRecord `json:"netns,omitempty"`
	Daemons    []Daemon      `json:"daemons,omitempty"`
	Spec       *Topology     `json:"spec,omitempty"`
	Mgmt       string        `json:"mgmt,omitempty"` // the management namespace (MgmtNetns)
	// Made are host directories the lab made outside StateDir (sshd's
	// privilege separation directory when it was missing), removed by
	// Down when empty.
	Made []string `json:"made,omitempty"`
}

// NetnsRecord is a namespace the lab made, by name and inode.
type NetnsRecord struct {
	Name  string `json:"name"`
	Inode uint64 `json:"inode"`
}

// Daemon is a process the lab started (libvirtd, nbd-server, sshd, QEMU).
type Daemon struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"` // the node it serves
	Netns string `json:"netns"`
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"` // /proc/PID/stat starttime: tells a reused pid apart
}

type stateStore struct {
	mu     sync.Mutex
	s      record
	exists bool // a state file was found
}

func loadState() (*stateStore, error) {
	st := &stateStore{}
	b, err := os.ReadFile(stateFile())
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lab state: %w", err)
	}
	if err := json.Unmarshal(b, &st.s); err != nil {
		return nil, fmt.Errorf("lab state %s: %w", stateFile(), err)
	}
	st.exists = true
	return st, nil
}

// add changes the record and writes it to disk before returning.
func (st *stateStore) add(change func(*record)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	change(&st.s)
	return st.save()
}

func (st *stateStore) save() error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(&st.s, "", "  ")
	if err != nil {
		return err
	}
	tmp := stateFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	st.exists = true
	return os.Rename(tmp, stateFile())
}

func (st *stateStore) get() record {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

// inode is the recorded inode of a namespace, or 0.
func (r record) inode(name string) uint64 {
	for _, n := range r.Netns {
		if n.Name == name {
			return n.Inode
		}
	}
	return 0
}

// setInode records (or replaces) a namespace's inode.
func (r *record) setInode(name string, ino uint64) {
	for i := range r.Netns {
		if r.Netns[i].Name == name {
			r.Netns[i].Inode = ino
			return
		}
	}
	r.Netns = append(r.Netns, NetnsRecord{Name: name, Inode: ino})
}

// inodes is the set of recorded namespace inodes.
func (r record) inodes() map[uint64]bool {
	out := map[uint64]bool{}
	for _, n := range r.Netns {
		out[n.Inode] = true
	}
	return out
}

// addDaemon records a started process with its start time.
func (st *stateStore) addDaemon(d Daemon) error {
	if d.Start == 0 {
		d.Start = startTime(d.Pid)
	}
	return st.add(func(s *record) { s.Daemons = append(s.Daemons, d) })
}

// startTime is a process's start time in clock ticks after boot (field 22
// of /proc/PID/stat), or 0 when it is gone.
func startTime(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces and parentheses: count after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// StateDir holds everything the lab writes on the host: the state file,
// each hypervisor's private libvirt directories and sockets, SAN disks.
const StateDir = "/run/faultline/lab"

// stateFile records what Up made, written before each thing is made.
func stateFile() string { return filepath.Join(StateDir, "state.json") }

// record is what a lab on this machine is made of on this machine.
type record struct {
	Topology   string    `json:"topology"`
	Namespaces []string  `json:"namespaces"`
	Inodes     []uint64  `json:"inodes,omitempty"` // netns inodes, to find the lab's processes after a crash
	Daemons    []Daemon  `json:"daemons,omitempty"`
	Spec       *Topology `json:"spec,omitempty"`
}

// Daemon is a process the lab started (libvirtd, nbd-server).
type Daemon struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"` // the node it serves
	Netns string `json:"netns"`
	Pid   int    `json:"pid"`
}

type stateStore struct {
	mu sync.Mutex
	s  record
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
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(&st.s, "", "  ")
	if err != nil {
		return err
	}
	tmp := stateFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, stateFile())
}

func (st *stateStore) get() record {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

package engine

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/probes"
	"golang.org/x/sys/unix"
)

// steadyTracker follows, per probe, the current run of ok samples.
type steadyTracker struct {
	mu      sync.Mutex
	okSince map[string]time.Duration // start of the current ok run; absent = failing
	last    map[string]time.Duration // start of the latest sample
}

func newSteadyTracker() *steadyTracker {
	return &steadyTracker{okSince: map[string]time.Duration{}, last: map[string]time.Duration{}}
}

func (t *steadyTracker) observe(probe string, s probes.Sample) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last[probe] = s.Start
	if !s.OK {
		delete(t.okSince, probe)
		return
	}
	if _, ok := t.okSince[probe]; !ok {
		t.okSince[probe] = s.Start
	}
}

// holds: the probe has been ok continuously for d, counting from `from`.
func (t *steadyTracker) holds(probe string, from, d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	since, ok := t.okSince[probe]
	if !ok {
		return false
	}
	if since < from {
		since = from
	}
	return t.last[probe] >= since && t.last[probe]-since >= d
}

// NewRunID makes a run id: the experiment name, a UTC timestamp and a
// random suffix, usable in file and nftables table names.
func NewRunID(name string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return name + "-" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

// DefaultStateDir is where runs in progress leave a pointer to their journal.
const DefaultStateDir = "/var/lib/faultline"

// ActiveDir is the folder of journal pointers under a state directory.
func ActiveDir(stateDir string) string {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	return filepath.Join(stateDir, "active")
}

// registerActive links the journal into the state directory so that
// `faultline recover` (and the guard) find its undo records if this
// process dies. The returned func removes the link after a clean end.
func registerActive(stateDir, runID, journalPath string) func() {
	dir := ActiveDir(stateDir)
	abs, err := filepath.Abs(journalPath)
	if err != nil {
		abs = journalPath
	}
	link := filepath.Join(dir, runID+".jsonl")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.Symlink(abs, link)
	}
	return func() { _ = os.Remove(link) }
}

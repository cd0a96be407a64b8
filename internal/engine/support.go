package engine

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/verify"
	"golang.org/x/sys/unix"
)

// steadyTracker keeps the samples of the steady-state phases, so that the
// live check and the verdict read from the journal use one computation
// (verify.LongestOKRun) on the same samples.
type steadyTracker struct {
	mu      sync.Mutex
	active  bool
	samples map[string][]probes.Sample
}

func newSteadyTracker() *steadyTracker {
	return &steadyTracker{samples: map[string][]probes.Sample{}}
}

// begin starts collecting (a new phase); end stops it.
func (t *steadyTracker) begin() {
	t.mu.Lock()
	t.active, t.samples = true, map[string][]probes.Sample{}
	t.mu.Unlock()
}

func (t *steadyTracker) end() {
	t.mu.Lock()
	t.active, t.samples = false, map[string][]probes.Sample{}
	t.mu.Unlock()
}

func (t *steadyTracker) observe(probe string, s probes.Sample) {
	t.mu.Lock()
	if t.active {
		t.samples[probe] = append(t.samples[probe], s)
	}
	t.mu.Unlock()
}

// holds: within [from, to] the probe was ok continuously for d.
func (t *steadyTracker) holds(probe string, from, to, d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	span, n := verify.LongestOKRun(t.samples[probe], verify.Phase{From: from, To: to})
	return n > 0 && span.Length() >= d
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
	if err := os.MkdirAll(dir, 0o700); err == nil {
		_ = os.Symlink(abs, link)
	}
	return func() { _ = os.Remove(link) }
}

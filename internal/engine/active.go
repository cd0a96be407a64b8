package engine

import (
	"os"
	"path/filepath"
)

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

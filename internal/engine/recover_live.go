package engine

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/procid"
)

// GuardPIDFile is where a run's guard names itself (pid, start time, boot)
// while it runs.
func GuardPIDFile(stateDir, runID string) string {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	return filepath.Join(stateDir, "guards", runID+".pid")
}

func runnerID() *procid.ID {
	id := procid.Self()
	return &id
}

// runAlive says whether a run is still in progress, and why: a target lock
// it took is still held (by its runner or by its guard, which inherited
// it), its guard runs, or the process writing its journal runs and has not
// ended it. Processes are compared by pid and start time, never by bare
// pid. run may be nil (its journal is missing or unreadable).
func runAlive(stateDir, runID string, run *journal.Run) (bool, string) {
	if runID == "" {
		return false, ""
	}
	if held := heldLocks(stateDir, runID); len(held) > 0 {
		return true, "its target locks are held (" + strings.Join(held, ", ") + ")"
	}
	if b, err := readNoFollow(GuardPIDFile(stateDir, runID)); err == nil {
		if id, err := procid.Parse(string(b)); err == nil && id.Alive() {
			return true, "its guard runs (" + id.String() + ")"
		}
	}
	if run != nil && run.End == nil && run.Header.Runner != nil && run.Header.Runner.Alive() {
		return true, "its runner runs (" + run.Header.Runner.String() + ")"
	}
	return false, ""
}

// heldLocks lists the lock files that name the run and are flock'd by some
// process. The kernel's lock table is read, not tried: trying a lock would
// make a run starting at that moment fail with a wrong holder.
func heldLocks(stateDir, runID string) []string {
	paths, _ := filepath.Glob(filepath.Join(LocksDir(stateDir), "*.lock"))
	var mine []string
	for _, p := range paths {
		b, err := readNoFollow(p)
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if f := strings.Fields(first); len(f) > 0 && f[0] == runID {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	locked := flockedFiles()
	var held []string
	for _, p := range mine {
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil {
			continue
		}
		if locked[fileKey{unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino}] {
			held = append(held, filepath.Base(p))
		}
	}
	return held
}

type fileKey struct {
	major, minor uint32
	ino          uint64
}

// flockedFiles reads /proc/locks: "1: FLOCK ADVISORY WRITE 123 08:01:4567 0 EOF"
// (blocked waiters, "1: -> FLOCK ...", are not holders).
func flockedFiles() map[fileKey]bool {
	out := map[fileKey]bool{}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" {
			continue
		}
		id := strings.Split(fs[5], ":")
		if len(id) != 3 {
			continue
		}
		maj, e1 := strconv.ParseUint(id[0], 16, 32)
		min, e2 := strconv.ParseUint(id[1], 16, 32)
		ino, e3 := strconv.ParseUint(id[2], 10, 64)
		if e1 == nil && e2 == nil && e3 == nil {
			out[fileKey{uint32(maj), uint32(min), ino}] = true
		}
	}
	return out
}

// readNoFollow reads a small state file without following a link.
func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, err := f.Read(b)
	if n == 0 && err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b[:n], nil
}

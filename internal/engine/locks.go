package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// LocksDir is the folder of per-target lock files under a state directory.
func LocksDir(stateDir string) string {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	return filepath.Join(stateDir, "locks")
}

// TargetLocks are flock'd lock files, one per target, held for a run's
// life. The kernel drops a flock when the last descriptor of its open file
// closes, so the lock of a run that died frees itself: there are no stale
// locks to clean, and a guard that inherited the descriptors keeps the
// targets locked until it has reverted them.
type TargetLocks struct {
	files []*os.File
}

// ErrTargetBusy marks a target another run holds (a plan error).
var ErrTargetBusy = errors.New("target held by another run")

// LockTargets takes the lock of every target, or none: the first target
// another run holds fails the whole call, naming that run.
func LockTargets(stateDir, runID string, targets []faults.Target) (*TargetLocks, error) {
	dir := LocksDir(stateDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("locks: %w", err)
	}
	l := &TargetLocks{}
	for _, t := range targets {
		f, err := lockTarget(dir, runID, t)
		if err != nil {
			l.Release()
			return nil, err
		}
		l.files = append(l.files, f)
	}
	return l, nil
}

func lockTarget(dir, runID string, t faults.Target) (*os.File, error) {
	p := filepath.Join(dir, lockFileName(t))
	var f *os.File
	for {
		var err error
		f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", t, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(p)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w: %w: %s is held by run %s; two runs must not fight over one target",
					ErrPlan, ErrTargetBusy, t, describeHolder(holder))
			}
			return nil, fmt.Errorf("lock %s: %w", t, err)
		}
		// The holder before us removes the file as it releases: a lock on
		// a file no longer at the path locks nothing, so take it again.
		if sameFile(f, p) {
			break
		}
		f.Close()
	}
	// Name ourselves for the run that will be refused.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("%s pid %d\n%s\n", runID, os.Getpid(), t)), 0)
	}
	return f, nil
}

func describeHolder(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "(another run, starting)"
	}
	return line
}

// lockFileName is readable and collision-free: the target's key with
// unsafe characters replaced, plus a short hash of the exact key.
func lockFileName(t faults.Target) string {
	key := lockKey(t)
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, t.Kind+"_"+key)
	if len(clean) > 120 {
		clean = clean[:120]
	}
	sum := sha256.Sum256([]byte(t.Kind + "\x00" + key))
	return clean + "." + hex.EncodeToString(sum[:6]) + ".lock"
}

// lockKey identifies what a target is, not what it is called: a target in
// a network namespace is keyed by the namespace's inode, so "host" and a
// name bound to the host's namespace, or two bind mounts of one
// namespace, lock the same link or table. A namespace that does not exist
// yet (an action may make it) is keyed by its name.
func lockKey(t faults.Target) string {
	ns, rest, ok := faults.SplitNetnsID(t.ID)
	if !ok {
		return t.ID
	}
	ino, err := nsutil.Identity(ns)
	if err != nil {
		return t.ID
	}
	return fmt.Sprintf("netns-inode:%d/%s", ino, rest)
}

// Files are the open lock files, to hand down to the guard.
func (l *TargetLocks) Files() []*os.File {
	if l == nil {
		return nil
	}
	return l.files
}

// Release drops every lock (closing the descriptors of this process); a
// process that inherited them (the guard) keeps the targets locked.
func (l *TargetLocks) Release() {
	if l == nil {
		return
	}
	for _, f := range l.files {
		_ = f.Close()
	}
	l.files = nil
}

// Remove drops every lock and removes its file, so that no lock file
// outlives its run. Call it only when no other process (a guard) holds
// the descriptors any more: the next run would lock a new file.
func (l *TargetLocks) Remove() {
	if l == nil {
		return
	}
	for _, f := range l.files {
		// Still locked by us: whoever opened the file meanwhile finds it
		// gone from the path once it has the lock and retries (lockTarget).
		_ = os.Remove(f.Name())
		_ = f.Close()
	}
	l.files = nil
}

func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

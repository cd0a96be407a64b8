package procfault

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
)

// procRec names one selected process for the life of the machine: its
// PID and its start time (field 22 of /proc/PID/stat).
type procRec struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
	Comm  string `json:"comm,omitempty"`
}

// procUndo is the undo record of both kinds. Signal is process.kill's
// signal (the record is journalled, never replayed: kill has no revert).
type procUndo struct {
	Selector string    `json:"selector"`
	Netns    string    `json:"netns,omitempty"`
	Seed     *int64    `json:"seed,omitempty"`
	Signal   int       `json:"signal,omitempty"`
	Procs    []procRec `json:"procs"`
}

// trust accepts only records that name processes by non-zero PID and
// start time, and never PID 1.
func trust(u procUndo) error {
	var errs []error
	for _, p := range u.Procs {
		switch {
		case p.PID <= 1:
			errs = append(errs, fmt.Errorf("pid %d is not a process faultline may signal", p.PID))
		case p.Start == 0:
			errs = append(errs, fmt.Errorf("pid %d has no start time", p.PID))
		}
	}
	return errors.Join(errs...)
}

func records(ps []procStat) []procRec {
	out := make([]procRec, len(ps))
	for i, p := range ps {
		out[i] = procRec{PID: p.PID, Start: p.Start, Comm: p.Comm}
	}
	return out
}

// targetID is "pid:1234(comm)", prefixed "netns:NAME/" in a namespace.
func targetID(prefix string, p procRec) string {
	return fmt.Sprintf("%spid:%d(%s)", prefix, p.PID, p.Comm)
}

func pidList(ps []procRec) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%d(%s)", p.PID, p.Comm)
	}
	return strings.Join(s, ",")
}

// errReused marks a recorded PID now held by another process.
var errReused = errors.New("start time changed: the PID now names another process")

// signalRec sends sig to the recorded process only if it is still the
// same process. The pidfd is opened before the start time is read, so
// it refers to the process that held the PID then: a match proves the
// pidfd is the recorded process, and signalling through it cannot reach
// a successor. Where pidfds are missing, kill(2) right after the check
// leaves only the gap between the two calls. A process that is gone
// returns an error wrapping faults.ErrNotFound.
func signalRec(p procRec, sig unix.Signal, prot map[int]bool) error {
	if p.PID <= 1 || prot[p.PID] {
		return fmt.Errorf("pid %d: refusing to signal faultline itself, an ancestor of it or init", p.PID)
	}
	fd, err := unix.PidfdOpen(p.PID, 0)
	switch {
	case err == nil:
		defer unix.Close(fd)
	case errors.Is(err, unix.ESRCH):
		return fmt.Errorf("pid %d: %w", p.PID, faults.ErrNotFound)
	case errors.Is(err, unix.ENOSYS):
		fd = -1
	default:
		return fmt.Errorf("pid %d: pidfd_open: %w", p.PID, err)
	}
	st, err := readStat(p.PID)
	if err != nil {
		if gone(err) {
			return fmt.Errorf("pid %d: %w", p.PID, faults.ErrNotFound)
		}
		return fmt.Errorf("pid %d: %w", p.PID, err)
	}
	if st.Start != p.Start {
		return fmt.Errorf("pid %d (%s, recorded start %d, now %d): %w", p.PID, p.Comm, p.Start, st.Start, errReused)
	}
	if self, ok := exeOf(os.Getpid()); sameExe(p.PID, self, ok) {
		return fmt.Errorf("pid %d: refusing to signal a process of faultline's own executable", p.PID)
	}
	if st.State == 'Z' || st.State == 'X' {
		return fmt.Errorf("pid %d: exited: %w", p.PID, faults.ErrNotFound)
	}
	if fd >= 0 {
		err = unix.PidfdSendSignal(fd, sig, nil, 0)
	} else {
		err = unix.Kill(p.PID, sig)
	}
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("pid %d: %w", p.PID, faults.ErrNotFound)
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("pid %d: %w: %w", p.PID, err, faults.ErrPermission)
	}
	if err != nil {
		return fmt.Errorf("pid %d: %s: %w", p.PID, signalName(sig), err)
	}
	return nil
}

package procfault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procRoot is where the kernel shows processes.
const procRoot = "/proc"

// pfKthread is PF_KTHREAD in the flags field of /proc/PID/stat.
const pfKthread = 0x00200000

// procStat is what faultline needs from /proc/PID/stat.
type procStat struct {
	PID   int
	Comm  string
	State byte
	PPID  int
	Flags uint64
	// Start is field 22, the start time in clock ticks after boot: with
	// the PID it names one process for the life of the machine.
	Start uint64
}

// readStat parses /proc/PID/stat. comm may hold spaces and parentheses,
// so the fields after it are found from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procRoot, pid))
	if err != nil {
		return procStat{}, err
	}
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("pid %d: malformed stat", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("pid %d: short stat", pid)
	}
	s := procStat{PID: pid, Comm: string(b[open+1 : end]), State: f[0][0]}
	if s.PPID, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("pid %d: stat ppid: %w", pid, err)
	}
	if s.Flags, err = strconv.ParseUint(f[6], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("pid %d: stat flags: %w", pid, err)
	}
	if s.Start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("pid %d: stat starttime: %w", pid, err)
	}
	return s, nil
}

// gone reports whether a stat error means the process no longer exists.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH)
}

// readCmdline is the command line with its NUL separators as spaces.
func readCmdline(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/cmdline", procRoot, pid))
	if err != nil {
		return "", err
	}
	b = bytes.TrimRight(b, "\x00")
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), nil
}

// netnsInode is the inode of the process's network namespace.
func netnsInode(pid int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("%s/%d/ns/net", procRoot, pid), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// listPIDs lists the numeric entries of /proc.
func listPIDs() ([]int, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// protected lists the PIDs no fault may ever signal: PID 1, faultline
// itself and every ancestor of it (killing the shell or the supervisor
// that runs faultline would end the experiment and its reverts).
func protected() map[int]bool {
	p := map[int]bool{1: true}
	pid := os.Getpid()
	for pid > 1 && !p[pid] {
		p[pid] = true
		s, err := readStat(pid)
		if err != nil {
			break
		}
		pid = s.PPID
	}
	return p
}

// exeID identifies a process's executable file by device and inode.
type exeID struct{ dev, ino uint64 }

func exeOf(pid int) (exeID, bool) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("%s/%d/exe", procRoot, pid), &st); err != nil {
		return exeID{}, false
	}
	return exeID{uint64(st.Dev), st.Ino}, true
}

// sameExe reports whether pid runs faultline's own executable: its guard,
// an agent, another run. Pausing the guard would leave nothing to revert.
func sameExe(pid int, self exeID, ok bool) bool {
	if !ok {
		return false
	}
	e, eok := exeOf(pid)
	return eok && e == self
}

// eligible reports whether a process may be selected at all: not
// protected, not a kernel thread, not a zombie.
func eligible(s procStat, prot map[int]bool) bool {
	if prot[s.PID] || s.Flags&pfKthread != 0 {
		return false
	}
	return s.State != 'Z' && s.State != 'X' && s.State != 'x'
}

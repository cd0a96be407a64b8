// Package procid names a process so that it cannot be mistaken for another
// one later given the same pid: its pid, its start time in clock ticks
// since boot, and the boot it started in.
package procid

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ID is a process's identity. A bare pid is not one: pids are reused.
type ID struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // /proc/PID/stat starttime, clock ticks since boot
	Boot  string `json:"boot"`  // /proc/sys/kernel/random/boot_id
}

// Self is the identity of this process.
func Self() ID {
	id, _ := Of(os.Getpid())
	return id
}

// Of reads the identity of a running process.
func Of(pid int) (ID, error) {
	start, state, err := stat(pid)
	if err != nil {
		return ID{}, err
	}
	if state == "Z" || state == "X" {
		return ID{}, fmt.Errorf("process %d has exited", pid)
	}
	return ID{PID: pid, Start: start, Boot: bootID()}, nil
}

// Valid says whether the identity is complete (not a bare pid).
func (id ID) Valid() bool { return id.PID > 0 && id.Start > 0 && id.Boot != "" }

// Alive says whether the very process the identity names still runs: same
// boot, same pid, same start time, not a zombie.
func (id ID) Alive() bool {
	if !id.Valid() || id.Boot != bootID() {
		return false
	}
	now, err := Of(id.PID)
	return err == nil && now.Start == id.Start
}

func (id ID) String() string { return fmt.Sprintf("pid %d (started at tick %d)", id.PID, id.Start) }

// Format is the one-line text form used in pid files: "PID START BOOT".
func (id ID) Format() string { return fmt.Sprintf("%d %d %s\n", id.PID, id.Start, id.Boot) }

// Parse reads the text form; a bare pid (an older pid file) is an error.
func Parse(s string) (ID, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return ID{}, fmt.Errorf("not a process identity (pid, start time, boot id): %q", strings.TrimSpace(s))
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return ID{}, fmt.Errorf("bad pid %q", f[0])
	}
	start, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return ID{}, fmt.Errorf("bad start time %q", f[1])
	}
	return ID{PID: pid, Start: start, Boot: f[2]}, nil
}

// stat reads the state and start time of /proc/PID/stat. The command name
// (field 2) may hold spaces and parentheses: fields are counted after the
// last ')'.
func stat(pid int) (start uint64, state string, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", fmt.Errorf("process %d: unreadable stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// After the name: state is field 3, starttime field 22.
	if len(f) < 20 {
		return 0, "", fmt.Errorf("process %d: short stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0], err
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/faultline/faultline/internal/nsutil"
	"golang.org/x/sys/unix"
)

// helperEnv carries a helperSpec to a re-executed copy of this binary. A
// daemon needs its own mount namespace with private bind mounts and the
// network namespace of its node; Go cannot run code between fork and exec,
// so the binary re-executes itself, sets that up on its main thread in
// init, and then execs the daemon.
const helperEnv = "FAULTLINE_LAB_HELPER"

type helperSpec struct {
	Netns string      `json:"netns"`
	Binds [][2]string `json:"binds,omitempty"` // host dir -> path seen by the daemon
	Argv  []string    `json:"argv"`
	Env   []string    `json:"env,omitempty"` // added to the daemon's environment
	// Nice is the daemon's scheduling priority (what it forks inherits it).
	Nice int `json:"nice,omitempty"`
}

// workloadNice is the priority of what the lab emulates as dedicated
// machines (libvirtd and the QEMUs it forks, nbd-server): on a shared
// machine a build at load 30 otherwise starves a TCG guest's keepalived
// past its 0.3 s adverts, VRRP flaps and a steady state never holds. An
// idle guest costs nothing at this priority; a busy one gets the CPU a
// real hypervisor would give it.
const workloadNice = -15

func init() {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		return
	}
	runtime.LockOSThread()
	err := runHelper(raw)
	fmt.Fprintf(os.Stderr, "faultline lab helper: %v\n", err)
	os.Exit(127)
}

// runHelper only returns on failure: on success the daemon replaces it.
func runHelper(raw string) error {
	var spec helperSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return err
	}
	if len(spec.Binds) > 0 {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("unshare mount namespace: %w", err)
		}
		// Nothing mounted here may leak back to the host.
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make mounts private: %w", err)
		}
		for _, b := range spec.Binds {
			if err := os.MkdirAll(b[1], 0o755); err != nil {
				return err
			}
			if err := unix.Mount(b[0], b[1], "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind %s on %s: %w", b[0], b[1], err)
			}
		}
	}
	ns, err := nsutil.Open(spec.Netns)
	if err != nil {
		return err
	}
	// Not nsutil.OnThread: this process is about to become the daemon,
	// so its main thread enters for good and is never handed back.
	if err := unix.Setns(int(ns), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter netns %s: %w", spec.Netns, err)
	}
	if spec.Nice != 0 {
		// This thread execs the daemon: the daemon and every thread and
		// child it makes start from this priority.
		if err := unix.Setpriority(unix.PRIO_PROCESS, 0, spec.Nice); err != nil {
			return fmt.Errorf("nice %d: %w", spec.Nice, err)
		}
	}
	path, err := exec.LookPath(spec.Argv[0])
	if err != nil {
		return err
	}
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, helperEnv+"=") {
			env = append(env, e)
		}
	}
	return syscall.Exec(path, spec.Argv, append(env, spec.Env...))
}

// startDaemon starts argv inside netns (and private binds), detached in
// its own session, logging to logFile. The returned pid is the daemon's.
func startDaemon(spec helperSpec, logFile string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return 0, err
	}
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s in %s: %w", spec.Argv[0], spec.Netns, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it dies while we run
	return cmd.Process.Pid, nil
}

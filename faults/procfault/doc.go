// Package procfault holds the process faults: process.kill signals the
// selected processes once (no revert: the system under test must heal),
// process.pause stops them with SIGSTOP and continues them at revert.
//
// Processes are selected by exactly one of comm, command line, pid file or
// systemd unit (its cgroup under /sys/fs/cgroup), optionally restricted to
// a named network namespace and thinned by count or percent with a
// recorded seed. Everything is read from /proc and /sys/fs/cgroup and
// signalled through pidfds; nothing is forked. Every recorded process is
// named by PID and start time, and a PID whose start time changed (the
// process died and the PID was reused) is never signalled.
package procfault

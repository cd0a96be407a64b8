package nsutil

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil/nsname"
)

// ValidateName is nsname.Validate: the one rule for namespace names.
func ValidateName(name string) error { return nsname.Validate(name) }

// Identity is what tells namespaces apart: the inode of the namespace file.
// Two names that are bind mounts of one namespace, or "host" and a name
// bound to the host's namespace, have the same identity. For the host it
// is PID 1's namespace; where /proc/1 may not be read (a sandbox), this
// process's, which is the one the operator reaches.
func Identity(name string) (uint64, error) {
	ino, err := Inode(name)
	if err == nil || !IsHost(name) || !errors.Is(err, os.ErrPermission) {
		return ino, err
	}
	return SelfInode()
}

// SelfInode is the identity of the namespace this process runs in.
func SelfInode() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		return 0, fmt.Errorf("stat own netns: %w", err)
	}
	return st.Ino, nil
}

// Same reports whether two names address one namespace, comparing
// identities; when either cannot be read it falls back to the names (both
// host, or equal).
func Same(a, b string) bool {
	ia, errA := Identity(a)
	ib, errB := Identity(b)
	if errA == nil && errB == nil {
		return ia == ib
	}
	return a == b || IsHost(a) && IsHost(b)
}

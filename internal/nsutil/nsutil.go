// Package nsutil addresses network namespaces by name (/run/netns/NAME, or
// the host when the name is empty or "host"): netlink handles bound to a
// namespace, running a function on a thread inside one, and creating and
// deleting named namespaces. Nothing here switches the namespace of a
// shared goroutine: Do locks its own OS thread and restores it, and a
// thread whose namespace could not be restored is never unlocked (Go then
// ends the thread with its goroutine).
package nsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil/nsname"
)

// Dir is where named namespaces are bind-mounted (iproute2's convention).
const Dir = "/run/netns"

// IsHost reports whether name addresses the host namespace.
func IsHost(name string) bool { return nsname.IsHost(name) }

// Path is the bind-mount path of a named namespace. Every function here
// refuses a name nsname.Validate refuses, so no name leaves Dir.
func Path(name string) string { return filepath.Join(Dir, name) }

// Open returns a handle to the named namespace (the caller closes it).
// For the host it returns the namespace of PID 1's network (or this
// process's own, after HostIsSelf).
func Open(name string) (netns.NsHandle, error) {
	if IsHost(name) {
		h, err := netns.GetFromPath(hostPath)
		if err != nil {
			return netns.None(), fmt.Errorf("open host netns: %w", err)
		}
		return h, nil
	}
	if err := nsname.Validate(name); err != nil {
		return netns.None(), err
	}
	h, err := netns.GetFromPath(Path(name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return netns.None(), fmt.Errorf("netns %q: %w", name, os.ErrNotExist)
		}
		return netns.None(), fmt.Errorf("open netns %q: %w", name, err)
	}
	return h, nil
}

// Handle returns a netlink handle bound to the named namespace.
func Handle(name string) (*netlink.Handle, error) {
	ns, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in netns %q: %w", name, err)
	}
	return h, nil
}

// Do runs fn on a locked OS thread inside the named namespace.
func Do(name string, fn func() error) error {
	target, err := Open(name)
	if err != nil {
		return err
	}
	defer target.Close()
	return OnThread(func() error {
		if err := netns.Set(target); err != nil {
			return fmt.Errorf("enter netns %q: %w", name, err)
		}
		return fn()
	})
}

// Create makes a named namespace (like `ip netns add`). It fails with
// os.ErrExist if it exists.
func Create(name string) error {
	if IsHost(name) {
		return fmt.Errorf("cannot create the host namespace")
	}
	if err := nsname.Validate(name); err != nil {
		return err
	}
	return createIn(Dir, name)
}

// Delete removes a named namespace; deleting a missing one succeeds.
func Delete(name string) error {
	if IsHost(name) {
		return nil
	}
	if err := nsname.Validate(name); err != nil {
		return err
	}
	return deleteIn(Dir, name)
}

// Inode identifies a namespace across renames and recreation (recover
// compares it to tell a recreated namespace from the one a fault touched).
func Inode(name string) (uint64, error) {
	if err := nsname.Validate(name); err != nil {
		return 0, err
	}
	var st unix.Stat_t
	p := Path(name)
	if IsHost(name) {
		p = hostPath
	}
	if err := unix.Stat(p, &st); err != nil {
		return 0, fmt.Errorf("stat netns %q: %w", name, err)
	}
	return st.Ino, nil
}

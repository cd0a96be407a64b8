package nsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// shareDir makes dir a shared mount point, as iproute2's netns_add does
// before its first namespace: if dir is not a mount point yet it becomes a
// bind mount of itself. Without this, the first `ip netns add` after us
// bind-mounts dir onto itself and hides the namespaces mounted before it,
// which then can neither be unmounted nor removed from this namespace.
func shareDir(dir string) error {
	made := false
	for {
		err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) || made {
			return fmt.Errorf("make %s a shared mount: %w", dir, err)
		}
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mount %s onto itself: %w", dir, err)
		}
		made = true
	}
}

// createIn makes dir/name a bind mount of a new network namespace and
// brings its loopback up.
func createIn(dir, name string) error {
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("netns %q: %w", name, os.ErrExist)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := shareDir(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("netns %q: %w", name, os.ErrExist)
		}
		return fmt.Errorf("create %s: %w", p, err)
	}
	f.Close()
	if err := bindNewNetns(p); err != nil {
		_ = os.Remove(p)
		return fmt.Errorf("create netns %q: %w", name, err)
	}
	// Bring loopback up: probes and servers inside expect it.
	ns, err := netns.GetFromPath(p)
	if err != nil {
		return fmt.Errorf("open netns %q: %w", name, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink handle in netns %q: %w", name, err)
	}
	defer h.Close()
	if lo, err := h.LinkByName("lo"); err == nil {
		_ = h.LinkSetUp(lo)
	}
	return nil
}

// bindNewNetns makes a new network namespace on a locked thread and
// bind-mounts it on p. The thread goes back to its namespace, or dies.
func bindNewNetns(p string) error {
	return OnThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		self := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		if err := unix.Mount(self, p, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mount on %s: %w", p, err)
		}
		return nil
	})
}

// deleteIn unmounts dir/name (every layer) and removes it. A deleting
// order that left the mount hidden under a later bind mount of dir (a
// namespace made before `ip netns add` made dir a mount point) is undone
// from a private mount namespace, see removeHidden.
func deleteIn(dir, name string) error {
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unmountAll(p); err != nil {
		return err
	}
	err := os.Remove(p)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	if err := removeHidden(dir, p); err != nil {
		return fmt.Errorf("remove %s (mounted under a later mount of %s): %w", p, dir, err)
	}
	return nil
}

// unmountAll detaches every mount stacked on p.
func unmountAll(p string) error {
	for i := 0; i < 64; i++ {
		err := unix.Unmount(p, unix.MNT_DETACH)
		if err == nil {
			continue
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("unmount %s: %w", p, err)
	}
	return fmt.Errorf("unmount %s: too many stacked mounts", p)
}

// removeHidden removes p while a mount on it is hidden under a mount of
// dir. On a thread of its own, in a private copy of the mount namespace,
// it peels off the mounts of dir until p is no mount point there, and
// unlinks it: the kernel then detaches the mounts on that file in every
// mount namespace, the hidden one included. The thread never returns to
// the scheduler: it dies with its goroutine.
func removeHidden(dir, p string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread's mounts are its own
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			errc <- fmt.Errorf("unshare mount namespace: %w", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			errc <- fmt.Errorf("make mounts private: %w", err)
			return
		}
		for i := 0; i < 16; i++ {
			if err := unmountAll(p); err != nil {
				errc <- err
				return
			}
			err := os.Remove(p)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				errc <- nil
				return
			}
			if !errors.Is(err, unix.EBUSY) {
				errc <- err
				return
			}
			if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
				errc <- fmt.Errorf("still busy, and unmount %s: %w", dir, err)
				return
			}
		}
		errc <- fmt.Errorf("still busy")
	}()
	return <-errc
}

package netfault

import (
	"context"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// openLinkHandle returns a netlink handle bound to the namespace, with a
// missing namespace reported as faults.ErrNotFound. It opens the route
// family only: each family costs a socket made inside the namespace, and
// links, addresses and routes need no other.
func openLinkHandle(netns string) (*netlink.Handle, error) {
	ns, err := nsutil.Open(netns)
	if err != nil {
		return nil, linkNsErr(netns, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, linkNsErr(netns, fmt.Errorf("netlink handle: %w", err))
	}
	return h, nil
}

// withLinkHandle runs fn with a handle of its own on the namespace, for the
// reads (preflight, snapshot) that need no fault's lock or recorded state.
func withLinkHandle(ctx context.Context, netns string, fn func(*netlink.Handle) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h, err := openLinkHandle(netns)
	if err != nil {
		return err
	}
	defer h.Close()
	return fn(h)
}

// linkNetnsInode identifies the namespace now, so a revert can tell it from a
// namespace of the same name created later.
func linkNetnsInode(netns string) (uint64, error) {
	ino, err := nsutil.Inode(netns)
	if err != nil {
		return 0, linkNsErr(netns, err)
	}
	return ino, nil
}

// linkCheckSameNetns fails with faults.ErrNotFound when the namespace is gone or
// was recreated since the fault recorded its inode (want 0: not recorded).
func linkCheckSameNetns(netns string, want uint64) error {
	ino, err := linkNetnsInode(netns)
	if err != nil {
		return err
	}
	if want != 0 && ino != want {
		return fmt.Errorf("%s was recreated (inode %d, recorded %d); the namespace the fault touched is gone: %w",
			linkNsLabel(netns), ino, want, faults.ErrNotFound)
	}
	return nil
}

func linkNsLabel(netns string) string {
	if nsutil.IsHost(netns) {
		return "host netns"
	}
	return fmt.Sprintf("netns %q", netns)
}

// linkID names a link for targets and errors: "netns:hv-a/eth0", "host/eth0".
func linkID(netns, link string) string {
	if nsutil.IsHost(netns) {
		return "host/" + link
	}
	return "netns:" + netns + "/" + link
}

func linkNsErr(netns string, err error) error {
	return fmt.Errorf("%s: %w", linkNsLabel(netns), faults.Classify(err))
}

// linkErr wraps a netlink error about one link with the sentinel it means.
func linkErr(netns, link, op string, err error) error {
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%s link %s: %w", op, linkID(netns, link), faults.ErrNotFound)
	}
	return fmt.Errorf("%s link %s: %w", op, linkID(netns, link), faults.Classify(err))
}

// linkFind looks a link up by name through h.
func linkFind(h *netlink.Handle, netns, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, linkErr(netns, name, "find", err)
	}
	return l, nil
}

package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// qdiscRootFault replaces a link's root qdisc with one built by build (tbf
// for net.bandwidth, netem for net.delay) and restores the previous tree
// on revert.
type qdiscRootFault struct {
	kind  string // fault kind, e.g. net.bandwidth
	qkind string // qdisc kind, e.g. tbf
	desc  string
	netns string
	link  string
	build func(attrs netlink.QdiscAttrs) netlink.Qdisc
	undo  *qdiscUndo
}

// qdiscUndo is the undo record of the qdisc faults.
type qdiscUndo struct {
	Netns     string        `json:"netns"`
	Inode     uint64        `json:"inode"`
	Link      string        `json:"link"`
	Index     int           `json:"index"`
	OurKind   string        `json:"ourKind"`
	OurHandle uint32        `json:"ourHandle"`
	Previous  qdiscSnapshot `json:"previous"`
}

// qdiscOurMajor is the handle major faultline gives its root qdiscs
// (another is picked when the link already uses it).
const qdiscOurMajor = 0xfa17

func (f *qdiscRootFault) Describe() string { return f.desc }

func (f *qdiscRootFault) Targets() []faults.Target {
	return []faults.Target{{Kind: "qdisc", ID: nftNetnsID(f.netns) + "/" + f.link + " root"}}
}

// Preflight checks that the kernel has the qdisc (see qdiscKernelHas) and
// that the namespace and link exist, before anything is injected.
func (f *qdiscRootFault) Preflight(ctx context.Context) error {
	err := qdiscKernelHas(ctx, f.qkind, func(idx int) netlink.Qdisc {
		return f.build(netlink.QdiscAttrs{LinkIndex: idx, Handle: netlink.MakeHandle(qdiscOurMajor, 0), Parent: netlink.HANDLE_ROOT})
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
	}
	defer h.Close()
	l, err := h.LinkByName(f.link)
	if err != nil {
		return fmt.Errorf("%s: link %s in %s: %w", f.kind, f.link, nftNetnsID(f.netns), faults.ErrNotFound)
	}
	s, err := qdiscOpenSock(f.netns)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	defer s.Close()
	snap, err := qdiscTakeSnapshot(s, l.Attrs().Index)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", f.kind, f.link, err)
	}
	if err := qdiscRefuseFilters(s, l.Attrs().Index, f.link, snap); err != nil {
		return fmt.Errorf("%s in %s: %w", f.kind, nftNetnsID(f.netns), err)
	}
	return nil
}

func (f *qdiscRootFault) Prepare(ctx context.Context) (faults.Undo, error) {
	if err := ctx.Err(); err != nil {
		return faults.Undo{}, err
	}
	ino, err := nsutil.Inode(f.netns)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
	}
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
	}
	defer h.Close()
	l, err := h.LinkByName(f.link)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: link %s in %s: %w", f.kind, f.link, nftNetnsID(f.netns), faults.ErrNotFound)
	}
	s, err := qdiscOpenSock(f.netns)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
	}
	defer s.Close()
	snap, err := qdiscTakeSnapshot(s, l.Attrs().Index)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %s: %w", f.kind, f.link, err)
	}
	if err := qdiscRefuseFilters(s, l.Attrs().Index, f.link, snap); err != nil {
		return faults.Undo{}, fmt.Errorf("%s in %s: %w", f.kind, nftNetnsID(f.netns), err)
	}
	u := &qdiscUndo{Netns: f.netns, Inode: ino, Link: f.link, Index: l.Attrs().Index,
		OurKind: f.qkind, OurHandle: netlink.MakeHandle(qdiscFreeMajor(snap), 0), Previous: snap}
	raw, err := json.Marshal(u)
	if err != nil {
		return faults.Undo{}, err
	}
	f.undo = u
	return faults.Undo{Kind: f.kind, Params: raw}, nil
}

// qdiscFreeMajor picks a handle major the snapshot does not use.
func qdiscFreeMajor(s qdiscSnapshot) uint16 {
	used := map[uint32]bool{s.Root.Handle >> 16: true}
	for _, r := range append(append([]qdiscRecord{}, s.Classes...), s.Children...) {
		used[r.Handle>>16] = true
	}
	m := uint32(qdiscOurMajor)
	for used[m] {
		m++
	}
	return uint16(m)
}

func (f *qdiscRootFault) Inject(ctx context.Context) error {
	if f.undo == nil {
		return fmt.Errorf("%s: inject before prepare", f.kind)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	h, err := nsutil.Handle(f.netns)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
	}
	defer h.Close()
	q := f.build(netlink.QdiscAttrs{LinkIndex: f.undo.Index, Handle: f.undo.OurHandle, Parent: netlink.HANDLE_ROOT})
	if err := h.QdiscReplace(q); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: kernel lacks sch_%s: %w", f.kind, f.qkind, faults.ErrNotSupported)
		}
		return fmt.Errorf("%s: %s root on %s: %w", f.kind, f.qkind, f.link, nftWrapErr(err))
	}
	return nil
}

func (f *qdiscRootFault) Revert(ctx context.Context) error {
	if f.undo == nil {
		return nil // never prepared, so never injected
	}
	return f.undo.revert(ctx)
}

func qdiscRevertParams(ctx context.Context, params json.RawMessage) error {
	var u qdiscUndo
	if err := json.Unmarshal(params, &u); err != nil {
		return fmt.Errorf("qdisc undo record: %w", err)
	}
	return u.revert(ctx)
}

// revert restores the previous tree only while our qdisc is the root: when
// it is not, the fault was never injected, was already reverted, or someone
// else has replaced it since, and then there is nothing of ours to undo.
func (u *qdiscUndo) revert(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ino, err := nsutil.Inode(u.Netns)
	if errors.Is(err, os.ErrNotExist) || (err == nil && ino != u.Inode) {
		return nil
	}
	s, err := qdiscOpenSock(u.Netns)
	if err != nil {
		return fmt.Errorf("qdisc revert: %w", err)
	}
	defer s.Close()
	qs, err := s.dump(unix.RTM_GETQDISC, u.Index)
	if errors.Is(err, unix.ENODEV) {
		return nil // the link is gone, and our qdisc with it
	}
	if err != nil {
		return fmt.Errorf("qdisc revert %s: %w", u.Link, err)
	}
	root, ok := qdiscRoot(qs)
	if !ok || root.Kind != u.OurKind || root.Handle != u.OurHandle {
		return nil
	}
	if u.Previous.Default {
		err = s.delRoot(u.Index, u.OurHandle)
	} else {
		err = qdiscRestore(s, u.Index, u.Previous)
	}
	if err != nil {
		return fmt.Errorf("qdisc revert %s: %w", u.Link, err)
	}
	if err := qdiscVerify(s, u.Index, u.Previous); err != nil {
		return fmt.Errorf("qdisc revert %s: %w", u.Link, err)
	}
	return nil
}

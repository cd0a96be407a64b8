package netfault

import (
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// A root qdisc fault replaces the whole egress tree, and the tc filters
// attached to it go with it. faultline does not rebuild filters (their
// dumps carry counters and hash nodes that cannot be sent back as they
// are), so it refuses a link whose tree has any: better no fault than an
// operator's traffic classification silently lost.

// qdiscFilterParents lists the tree's qdiscs and classes, the places a
// filter can hang from.
func qdiscFilterParents(snap qdiscSnapshot) []uint32 {
	if snap.Default {
		return nil // the kernel's own root: nothing can be attached to it
	}
	out := []uint32{snap.Root.Handle}
	for _, r := range snap.Children {
		out = append(out, r.Handle)
	}
	for _, r := range snap.Classes {
		out = append(out, r.Handle)
	}
	return out
}

// filterCount is how many filter entries the kernel dumps under parent.
func (s *qdiscSock) filterCount(ifindex int, parent uint32) (int, error) {
	req := s.request(unix.RTM_GETTFILTER, unix.NLM_F_DUMP)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(ifindex), Parent: parent})
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWTFILTER)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		if int(nl.DeserializeTcMsg(m).Ifindex) == ifindex {
			n++
		}
	}
	return n, nil
}

// qdiscRefuseFilters fails when any filter hangs from the tree in snap.
func qdiscRefuseFilters(s *qdiscSock, ifindex int, link string, snap qdiscSnapshot) error {
	for _, p := range qdiscFilterParents(snap) {
		n, err := s.filterCount(ifindex, p)
		if err != nil {
			return fmt.Errorf("list tc filters of %s under %s: %w", link, qdiscHandleStr(p), err)
		}
		if n > 0 {
			return fmt.Errorf("%s: the root qdisc tree (%s %s) has tc filters under %s, which replacing it would destroy and a revert could not rebuild; refusing to touch it",
				link, snap.Root.Kind, qdiscHandleStr(snap.Root.Handle), qdiscHandleStr(p))
		}
	}
	return nil
}

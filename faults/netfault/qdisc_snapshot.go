package netfault

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// qdiscSnapshot is a link's egress tree before a fault replaced its root:
// the root qdisc, and (when the root was installed by someone) every class
// and grafted qdisc under it, which replacing the root destroys.
type qdiscSnapshot struct {
	// Default is true when the root was the kernel's own (handle 0:, e.g.
	// noqueue, pfifo_fast or mq): deleting our root brings it back.
	Default  bool          `json:"default"`
	Root     qdiscRecord   `json:"root"`
	Classes  []qdiscRecord `json:"classes,omitempty"`
	Children []qdiscRecord `json:"children,omitempty"`
}

func qdiscTakeSnapshot(s *qdiscSock, ifindex int) (qdiscSnapshot, error) {
	qs, err := s.dump(unix.RTM_GETQDISC, ifindex)
	if err != nil {
		return qdiscSnapshot{}, fmt.Errorf("list qdiscs: %w", err)
	}
	root, ok := qdiscRoot(qs)
	if !ok {
		return qdiscSnapshot{}, fmt.Errorf("link has no root qdisc")
	}
	snap := qdiscSnapshot{Root: root, Default: root.Handle>>16 == 0}
	if snap.Default {
		return snap, nil
	}
	for _, q := range qs {
		if q.Parent != netlink.HANDLE_ROOT && q.Parent != netlink.HANDLE_INGRESS {
			snap.Children = append(snap.Children, q)
		}
	}
	cs, err := s.dump(unix.RTM_GETTCLASS, ifindex)
	if err != nil {
		return qdiscSnapshot{}, fmt.Errorf("list classes: %w", err)
	}
	owners := map[uint32]string{root.Handle >> 16: root.Kind}
	for _, q := range snap.Children {
		owners[q.Handle>>16] = q.Kind
	}
	for _, c := range cs {
		if qdiscUserClasses[owners[c.Handle>>16]] {
			snap.Classes = append(snap.Classes, c)
		}
	}
	return snap, nil
}

// qdiscUserClasses are the qdisc kinds whose classes are made by the user
// (and must be rebuilt); the others (tbf, prio, mq...) make their own.
var qdiscUserClasses = map[string]bool{"htb": true, "hfsc": true, "drr": true, "qfq": true}

// qdiscRestore rebuilds the snapshot in place of whatever root is there:
// the root first, then classes and grafted qdiscs parents first.
func qdiscRestore(s *qdiscSock, ifindex int, snap qdiscSnapshot) error {
	if err := s.put(unix.RTM_NEWQDISC, ifindex, snap.Root); err != nil {
		return fmt.Errorf("restore root %s: %w", snap.Root, err)
	}
	ready := map[uint32]bool{snap.Root.Handle >> 16: true}
	classDone := map[uint32]bool{}
	recorded := map[uint32]bool{}
	for _, c := range snap.Classes {
		recorded[c.Handle] = true
	}
	// A class the snapshot does not list is one its qdisc makes itself.
	parentReady := func(p uint32) bool { return classDone[p] || (!recorded[p] && ready[p>>16]) }
	classes, children := snap.Classes, snap.Children
	for len(classes)+len(children) > 0 {
		progress := false
		var restC, restQ []qdiscRecord
		for _, c := range classes {
			// A class needs its qdisc and, below the top, its parent class.
			if !ready[c.Handle>>16] || (c.Parent>>16 == c.Handle>>16 && c.Parent&0xffff != 0 && !classDone[c.Parent]) {
				restC = append(restC, c)
				continue
			}
			if err := s.put(unix.RTM_NEWTCLASS, ifindex, c); err != nil {
				return fmt.Errorf("restore class %s: %w", c, err)
			}
			classDone[c.Handle], progress = true, true
		}
		for _, q := range children {
			if !parentReady(q.Parent) {
				restQ = append(restQ, q)
				continue
			}
			if err := s.put(unix.RTM_NEWQDISC, ifindex, q); err != nil {
				return fmt.Errorf("restore qdisc %s: %w", q, err)
			}
			ready[q.Handle>>16], progress = true, true
		}
		if !progress {
			return fmt.Errorf("restore: %d classes and %d qdiscs have no parent in the snapshot", len(restC), len(restQ))
		}
		classes, children = restC, restQ
	}
	return nil
}

// qdiscSameRecord compares records, ignoring counters that live inside
// options (htb's direct_packets_stat): they cannot be restored and say
// nothing about configuration.
func qdiscSameRecord(a, b qdiscRecord) bool {
	if a.Kind != b.Kind || a.Handle != b.Handle || a.Parent != b.Parent {
		return false
	}
	return bytes.Equal(qdiscNormalOptions(a), qdiscNormalOptions(b))
}

func qdiscNormalOptions(r qdiscRecord) []byte {
	if r.Kind != "htb" || r.Parent != netlink.HANDLE_ROOT && r.Handle&0xffff != 0 {
		return r.Options
	}
	return qdiscEditHTBInit(r.Options, func(v []byte) {
		if len(v) >= 20 {
			binary.NativeEndian.PutUint32(v[16:20], 0) // direct_pkts
		}
	})
}

// qdiscVerify checks that the link's tree now equals the snapshot.
func qdiscVerify(s *qdiscSock, ifindex int, want qdiscSnapshot) error {
	got, err := qdiscTakeSnapshot(s, ifindex)
	if err != nil {
		return err
	}
	if want.Default {
		if !got.Default || got.Root.Kind != want.Root.Kind {
			return fmt.Errorf("root is %s, want the default %s", got.Root, want.Root.Kind)
		}
		return nil
	}
	if !qdiscSameRecord(got.Root, want.Root) {
		return fmt.Errorf("root is %s, want %s with its options", got.Root, want.Root)
	}
	if err := qdiscSameSet("class", got.Classes, want.Classes); err != nil {
		return err
	}
	return qdiscSameSet("qdisc", got.Children, want.Children)
}

func qdiscSameSet(what string, got, want []qdiscRecord) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d %ses after restore, want %d", len(got), what, len(want))
	}
	byHandle := map[uint32]qdiscRecord{}
	for _, g := range got {
		byHandle[g.Handle] = g
	}
	for _, w := range want {
		if g, ok := byHandle[w.Handle]; !ok || !qdiscSameRecord(g, w) {
			return fmt.Errorf("%s %s not restored exactly", what, w)
		}
	}
	return nil
}

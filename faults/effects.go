package faults

import (
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
)

// A fault describes its own effects through the optional interfaces below,
// so that the engine's lock-out check, its plan and recover never need to
// know a kind by name or read a kind's parameters. A new kind implements
// the ones that apply to it; the engine finds them by type assertion.

// Cutter is implemented by faults that stop traffic while injected.
// Lock-out protection asks it what the fault would cut in the operator's
// namespace. A fault that cuts and does not implement it is invisible to
// that protection.
type Cutter interface {
	Cuts() []Cut
}

// Cut is what a fault stops in one network namespace while injected.
type Cut struct {
	// Netns is the namespace's name ("" or "host": the host). The engine
	// compares namespaces by identity, not by name.
	Netns string
	// Links are set down or taken out of their bridge: no traffic leaves
	// through them.
	Links []string
	// Bridges are killed with every port.
	Bridges []string
	// Drops are packets a filter drops.
	Drops []Drop
}

// Drop is one filter that drops every packet from an address in From to
// one in To; an empty side matches every address.
type Drop struct {
	From, To []AddrRange
}

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	First, Last netip.Addr
}

// Contains reports whether a is in the range.
func (r AddrRange) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.Is4() == r.First.Is4() && a.Compare(r.First) >= 0 && a.Compare(r.Last) <= 0
}

// Matches reports whether the drop drops a packet from src to dst.
func (d Drop) Matches(src, dst netip.Addr) bool {
	return inRanges(d.From, src) && inRanges(d.To, dst)
}

// Everything reports whether one side of the drop is every address, so it
// drops all traffic to or from the other side.
func (d Drop) Everything() bool { return len(d.From) == 0 || len(d.To) == 0 }

func inRanges(rs []AddrRange, a netip.Addr) bool {
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Endpointer is implemented by faults and actions that talk to a remote
// service (a libvirt daemon, a migration target) while they run or revert.
// Lock-out protection refuses a step that cuts the path to an endpoint a
// step still needs.
type Endpointer interface {
	Endpoints() []Endpoint
}

// Endpoint is a remote service a step needs.
type Endpoint struct {
	// Name says what it is, for messages: "libvirt qemu+tcp://hv-b/system".
	Name string
	// Host is the name or address to resolve; endpoints on this machine
	// are not listed.
	Host string
}

// GoneFunc tells, from an undo record alone, whether everything the fault
// touched was deleted or recreated since it was prepared (a namespace of
// the same name with another inode, a domain of the same name with another
// UUID): reverting could then only touch something the fault never saw.
// why says what went, for recover's report.
type GoneFunc func(params json.RawMessage) (gone bool, why string)

var (
	goneMu sync.RWMutex
	gones  = map[string]GoneFunc{}
)

// RegisterGone sets the Gone check of a kind; registering one twice panics.
func RegisterGone(kind string, fn GoneFunc) {
	goneMu.Lock()
	defer goneMu.Unlock()
	if _, dup := gones[kind]; dup {
		panic("faults: Gone registered twice for " + kind)
	}
	gones[kind] = fn
}

// UndoGone runs the kind's Gone check on an undo record; a kind without
// one is never gone (recover reverts it, and its Revert copes).
func UndoGone(u Undo) (bool, string) {
	goneMu.RLock()
	fn := gones[u.Kind]
	goneMu.RUnlock()
	if fn == nil {
		return false, ""
	}
	return fn(u.Params)
}

// Target IDs of things inside a network namespace start with "netns:NAME/"
// or, on the host, "host/" (nftables tables: "netns:NAME/table T").
// SplitNetnsID undoes that, so that locks can key a target by the
// namespace's identity rather than its name.
func SplitNetnsID(id string) (netns, rest string, ok bool) {
	if rest, ok := strings.CutPrefix(id, "host/"); ok {
		return "", rest, true
	}
	if after, ok := strings.CutPrefix(id, "netns:"); ok {
		if name, rest, ok := strings.Cut(after, "/"); ok && name != "" {
			return name, rest, true
		}
	}
	return "", "", false
}

package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// linkScoper is a link or switch fault that can say which links of a
// snapshot it acts on.
type linkScoper interface {
	scope(NetnsSnapshot) ([]string, error)
}

// linkTrust checks an undo record of a link or switch kind read back from
// a journal, changing nothing: its parameters are valid for the kind, it
// names its namespace with the inode recorded at Prepare (inode 0 would
// let the revert act on whatever namespace has that name now), and its
// snapshot covers only the links the parameters select, in that
// namespace. The revert itself checks the namespace still has that inode.
func linkTrust(kind string, build func(json.RawMessage) (faults.Fault, error)) func(json.RawMessage) error {
	return func(params json.RawMessage) error {
		var u linkUndo
		if err := faults.DecodeParams(params, &u); err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		if u.Inode == 0 {
			return fmt.Errorf("%s undo record has no namespace inode (inode: 0): the namespace it was taken in cannot be told from another of the same name", kind)
		}
		f, err := build(u.With)
		if err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		r, ok := f.(linkRestorer)
		if !ok {
			return fmt.Errorf("%s: fault cannot load an undo record", kind)
		}
		netns := r.core().netns
		// A snapshot names the host "host"; a fault's parameters may say "".
		if u.Before.Netns != netns && !(nsutil.IsHost(u.Before.Netns) && nsutil.IsHost(netns)) {
			return fmt.Errorf("%s undo record: snapshot of %s, but the fault names %s",
				kind, linkNsLabel(u.Before.Netns), linkNsLabel(netns))
		}
		sc, ok := f.(linkScoper)
		if !ok {
			return nil
		}
		names, err := sc.scope(u.Before)
		if err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		var errs []error
		check := func(what, link string) {
			if !want[link] {
				errs = append(errs, fmt.Errorf("%s of %s, which the fault does not select", what, linkID(netns, link)))
			}
		}
		for _, l := range u.Before.Links {
			check("link", l.Name)
		}
		for _, a := range u.Before.Addrs {
			check("address "+a.CIDR, a.Link)
		}
		for _, p := range u.Before.Ports {
			check("port settings", p.Link)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%s undo record restores %w", kind, err)
		}
		return nil
	}
}

// trustedRevert refuses, before reverting, a record its kind's trust check
// fails: a revert called without recover's check must not act on it either.
func trustedRevert(trust func(json.RawMessage) error, revert func(context.Context, json.RawMessage) error) func(context.Context, json.RawMessage) error {
	return func(ctx context.Context, params json.RawMessage) error {
		if err := trust(params); err != nil {
			return fmt.Errorf("%w: %w", faults.ErrUntrusted, err)
		}
		return revert(ctx, params)
	}
}

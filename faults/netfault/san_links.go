package netfault

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/faultline/faultline/faults"
)

// sanLinksFence takes a SAN node's links down. It is link.down with its own
// name and undo record: the same snapshot (links, addresses, routes of
// every table including multipath ones, bridge ports) and the same
// restore, so a fenced node comes back exactly as link.down would leave it.
type sanLinksFence struct {
	*linkDown
}

func newSANFenceLinks(p SANFenceParams) (faults.Fault, error) {
	if len(p.Addresses) > 0 || p.Table != "" {
		return nil, fmt.Errorf("san.fence: mode links takes netns and links only")
	}
	if len(p.Netns) > 1 {
		return nil, fmt.Errorf("san.fence: mode links takes one netns (the SAN node's)")
	}
	if len(p.Links) == 0 {
		return nil, fmt.Errorf("san.fence: mode links needs at least one link")
	}
	lp := linkParams{Links: p.Links}
	if len(p.Netns) == 1 {
		lp.Netns = p.Netns[0]
	}
	if err := lp.validate(); err != nil {
		return nil, fmt.Errorf("san.fence: %w", err)
	}
	ld, err := newLinkDownFrom(lp)
	if err != nil {
		return nil, fmt.Errorf("san.fence: %w", err)
	}
	return &sanLinksFence{linkDown: ld}, nil
}

func (f *sanLinksFence) Describe() string {
	return fmt.Sprintf("fence SAN by taking %s down in %s", strings.Join(f.links, ", "), nftNetnsID(f.netns))
}

// Preflight checks that the namespace and every link exist.
func (f *sanLinksFence) Preflight(ctx context.Context) error {
	if err := f.linkDown.Preflight(ctx); err != nil {
		return fmt.Errorf("san.fence: %w", err)
	}
	return nil
}

// Prepare snapshots like link.down and wraps its undo record in
// san.fence's, so that san.fence's Revert finds it.
func (f *sanLinksFence) Prepare(ctx context.Context) (faults.Undo, error) {
	u, err := f.linkDown.Prepare(ctx)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("san.fence: %w", err)
	}
	raw, err := json.Marshal(sanUndo{Mode: "links", Link: u.Params})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: "san.fence", Params: raw}, nil
}

// sanLinksRevert reverts a links-mode fence from its record through
// link.down's revert.
func sanLinksRevert(ctx context.Context, link json.RawMessage) error {
	if err := sanLinksTrust(link); err != nil {
		return fmt.Errorf("san.fence undo record: %w", err)
	}
	if err := linkRevertFromUndo(KindLinkDown, newLinkDown)(ctx, link); err != nil {
		return fmt.Errorf("san.fence: %w", err)
	}
	return nil
}

// sanLinksTrust accepts a links record only when it names valid links of
// a namespace by a recorded inode.
func sanLinksTrust(link json.RawMessage) error {
	var u linkUndo
	if err := faults.DecodeParams(link, &u); err != nil {
		return err
	}
	if u.Inode == 0 {
		return fmt.Errorf("links record: inode 0")
	}
	var p linkParams
	if err := faults.DecodeParams(u.With, &p); err != nil {
		return err
	}
	return p.validate()
}

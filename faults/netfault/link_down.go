package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// KindLinkDown cuts one or more NICs of a namespace.
const KindLinkDown = "link.down"

// linkDown sets links down. The kernel then drops the IPv4 routes through
// them and the IPv6 addresses on them; Revert brings all of it back.
type linkDown struct {
	*linkCore
	links []string
}

func newLinkDown(params json.RawMessage) (faults.Fault, error) {
	var p linkParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", KindLinkDown, err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", KindLinkDown, err)
	}
	return newLinkDownFrom(p)
}

func newLinkDownFrom(p linkParams) (*linkDown, error) {
	core, err := newLinkCore(p.Netns, p)
	if err != nil {
		return nil, err
	}
	return &linkDown{linkCore: core, links: p.names()}, nil
}

func (f *linkDown) Describe() string {
	return KindLinkDown + " " + strings.Join(linkIDs(f.netns, f.links), ", ")
}

func (f *linkDown) Targets() []faults.Target {
	var ts []faults.Target
	for _, id := range linkIDs(f.netns, f.links) {
		ts = append(ts, faults.Target{Kind: "link", ID: id})
	}
	return ts
}

// Preflight checks that the namespace and every link exist.
func (f *linkDown) Preflight(ctx context.Context) error {
	return linkPreflight(ctx, f.netns, f.links)
}

func (f *linkDown) Prepare(ctx context.Context) (faults.Undo, error) {
	return f.prepare(ctx, KindLinkDown, f.scope)
}

func (f *linkDown) scope(s NetnsSnapshot) ([]string, error) {
	return f.links, linkRequire(f.netns, s, f.links)
}

func (f *linkDown) Inject(ctx context.Context) error {
	return f.inject(ctx, KindLinkDown, f.scope, func(h *netlink.Handle) error {
		return f.setEach(f.links, "set down", h.LinkSetDown)
	})
}

// Revert brings the links up and restores addresses and routes.
func (f *linkDown) Revert(ctx context.Context) error {
	return f.revert(ctx, KindLinkDown)
}

func linkIDs(netns string, links []string) []string {
	ids := make([]string, len(links))
	for i, l := range links {
		ids[i] = linkID(netns, l)
	}
	return ids
}

// linkPreflight checks, without changing anything, that the namespace and
// the links exist.
func linkPreflight(ctx context.Context, netns string, links []string) error {
	return withLinkHandle(ctx, netns, func(h *netlink.Handle) error {
		var errs []error
		for _, n := range links {
			if _, err := linkFind(h, netns, n); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

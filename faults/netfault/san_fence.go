package netfault

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/faultline/faultline/faults"
)

// SANFenceParams are the `with` parameters of san.fence.
//
// Mode "addresses" (the default) drops all IP traffic to and from
// Addresses in every namespace of Netns (the hypervisors), through one
// table per namespace. Mode "links" instead takes the SAN node's Links
// down in the single namespace Netns (the SAN node's own).
type SANFenceParams struct {
	Netns     nftNetnsList `json:"netns"`
	Addresses []string     `json:"addresses,omitempty"`
	Mode      string       `json:"mode,omitempty" enum:"addresses links" default:"addresses"`
	Links     []string     `json:"links,omitempty"`
	Table     string       `json:"table,omitempty"`
}

func init() {
	faults.Register(faults.Kind{
		Name:     "san.fence",
		Doc:      "cut a storage node off: drop its addresses on the hypervisors (nftables) or take its links down",
		Params:   SANFenceParams{},
		NewFault: newSANFence,
		Revert:   sanRevertParams,
		Trust:    sanTrustParams,
	})
}

// newSANFence validates san.fence parameters.
func newSANFence(params json.RawMessage) (faults.Fault, error) {
	var p SANFenceParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("san.fence: %w", err)
	}
	if err := validNetns(p.Netns...); err != nil {
		return nil, fmt.Errorf("san.fence: %w", err)
	}
	switch p.Mode {
	case "", "addresses":
		return newSANFenceAddresses(p, params)
	case "links":
		return newSANFenceLinks(p)
	}
	return nil, fmt.Errorf("san.fence: mode %q: want addresses or links", p.Mode)
}

func newSANFenceAddresses(p SANFenceParams, params json.RawMessage) (faults.Fault, error) {
	if len(p.Links) > 0 {
		return nil, fmt.Errorf("san.fence: links is only for mode links")
	}
	if len(p.Netns) == 0 {
		p.Netns = nftNetnsList{""}
	}
	addrs, err := nftParseAddrs("addresses", p.Addresses)
	if err != nil {
		return nil, fmt.Errorf("san.fence: %w", err)
	}
	table, explicit, err := nftTableParam("san.fence", p.Table, params)
	if err != nil {
		return nil, err
	}
	prog := &nftProgram{table: table, bridged: true}
	s4, s6 := prog.addSets("san", addrs)
	if s4 {
		prog.rules = append(prog.rules, nftRuleSpec{src: "san4"}, nftRuleSpec{dst: "san4"})
	}
	if s6 {
		prog.rules = append(prog.rules, nftRuleSpec{v6: true, src: "san6"}, nftRuleSpec{v6: true, dst: "san6"})
	}
	ids := make([]string, len(p.Netns))
	for i, ns := range p.Netns {
		ids[i] = nftNetnsID(ns)
	}
	desc := fmt.Sprintf("fence SAN [%s] from %s", strings.Join(p.Addresses, " "), strings.Join(ids, ", "))
	return &sanAddressFence{newNftTableFault("san.fence", desc, table, explicit, p.Netns, prog)}, nil
}

// sanAddressFence is an nftables fence whose undo record says its mode, so
// that one registered Revert serves both modes.
type sanAddressFence struct{ *nftTableFault }

func (f *sanAddressFence) Prepare(ctx context.Context) (faults.Undo, error) {
	u, err := f.nftTableFault.Prepare(ctx)
	if err != nil {
		return u, err
	}
	raw, err := json.Marshal(sanUndo{Mode: "addresses", Nft: u.Params})
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: "san.fence", Params: raw}, nil
}

// sanUndo is san.fence's undo record: one of its two halves is set.
type sanUndo struct {
	Mode string          `json:"mode"`
	Nft  json.RawMessage `json:"nft,omitempty"`
	Link json.RawMessage `json:"link,omitempty"` // link.down's undo record
}

func sanRevertParams(ctx context.Context, params json.RawMessage) error {
	var u sanUndo
	if err := json.Unmarshal(params, &u); err != nil {
		return fmt.Errorf("san.fence undo record: %w", err)
	}
	switch u.Mode {
	case "addresses":
		return nftRevertParams(ctx, u.Nft)
	case "links":
		if len(u.Link) == 0 {
			return fmt.Errorf("san.fence undo record: links mode without a link record")
		}
		return sanLinksRevert(ctx, u.Link)
	}
	return fmt.Errorf("san.fence undo record: unknown mode %q", u.Mode)
}

// sanTrustParams is san.fence's Trust: each mode's record is checked as
// its own kind's would be.
func sanTrustParams(params json.RawMessage) error {
	var u sanUndo
	if err := faults.DecodeParams(params, &u); err != nil {
		return fmt.Errorf("san.fence undo record: %w", err)
	}
	switch u.Mode {
	case "addresses":
		return nftTrustParams(u.Nft)
	case "links":
		return sanLinksTrust(u.Link)
	}
	return fmt.Errorf("san.fence undo record: unknown mode %q", u.Mode)
}

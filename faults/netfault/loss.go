package netfault

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/faultline/faultline/faults"
)

// LossParams are the `with` parameters of net.loss.
type LossParams struct {
	Netns   string   `json:"netns,omitempty"`
	To      []string `json:"to" required:"true" doc:"addresses or CIDRs"`
	From    []string `json:"from,omitempty"`
	Percent *int     `json:"percent" required:"true" min:"0" max:"100"`
	Table   string   `json:"table,omitempty"`
}

func init() {
	faults.Register(faults.Kind{
		Name:     "net.loss",
		Doc:      "drop a percentage of IP packets to an address set (nftables numgen, own table)",
		Params:   LossParams{},
		NewFault: newLoss,
		Revert:   nftRevertParams,
		Trust:    nftTrustParams,
	})
}

// newLoss validates net.loss parameters. Each packet to `to` (and, if
// given, from `from`) is dropped when `numgen random mod 100 < percent`,
// on the output and forward hooks and on input for packets that did not
// come in over lo (so local traffic is judged once). Bridged frames are
// judged only where br_netfilter passes them to the inet hooks.
func newLoss(params json.RawMessage) (faults.Fault, error) {
	var p LossParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("net.loss: %w", err)
	}
	if err := validNetns(p.Netns); err != nil {
		return nil, fmt.Errorf("net.loss: %w", err)
	}
	if p.Percent == nil {
		return nil, fmt.Errorf("net.loss: percent is required")
	}
	if *p.Percent < 0 || *p.Percent > 100 {
		return nil, fmt.Errorf("net.loss: percent %d is outside 0..100", *p.Percent)
	}
	to, err := nftParseAddrs("to", p.To)
	if err != nil {
		return nil, fmt.Errorf("net.loss: %w", err)
	}
	table, explicit, err := nftTableParam("net.loss", p.Table, params)
	if err != nil {
		return nil, err
	}
	prog := &nftProgram{table: table}
	to4, to6 := prog.addSets("to", to)
	from4, from6 := true, true
	src4, src6 := "", ""
	if len(p.From) > 0 {
		from, err := nftParseAddrs("from", p.From)
		if err != nil {
			return nil, fmt.Errorf("net.loss: %w", err)
		}
		from4, from6 = prog.addSets("from", from)
		src4, src6 = "from4", "from6"
	}
	if *p.Percent > 0 {
		if to4 && from4 {
			prog.rules = append(prog.rules, nftRuleSpec{src: src4, dst: "to4", percent: *p.Percent, notLoopback: true})
		}
		if to6 && from6 {
			prog.rules = append(prog.rules, nftRuleSpec{v6: true, src: src6, dst: "to6", percent: *p.Percent, notLoopback: true})
		}
		if len(prog.rules) == 0 {
			return nil, fmt.Errorf("net.loss: from and to share no address family, nothing would be dropped")
		}
	}
	desc := fmt.Sprintf("drop %d%% to [%s]", *p.Percent, strings.Join(p.To, " "))
	if len(p.From) > 0 {
		desc += fmt.Sprintf(" from [%s]", strings.Join(p.From, " "))
	}
	desc += " in " + nftNetnsID(p.Netns)
	return newNftTableFault("net.loss", desc, table, explicit, []string{p.Netns}, prog), nil
}

package netfault

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/faultline/faultline/faults"
)

// PartitionParams are the `with` parameters of net.partition.
type PartitionParams struct {
	Netns string   `json:"netns,omitempty"`
	A     []string `json:"a" required:"true" doc:"addresses or CIDRs"`
	B     []string `json:"b" required:"true" doc:"addresses or CIDRs"`
	Table string   `json:"table,omitempty"`
}

func init() {
	faults.Register(faults.Kind{
		Name:     "net.partition",
		Doc:      "drop all IP traffic between address sets a and b, both ways (own nftables table)",
		Params:   PartitionParams{},
		NewFault: newPartition,
		Revert:   nftRevertParams,
		Trust:    nftTrustParams,
	})
}

// newPartition validates net.partition parameters. The table it creates
// drops, on the input, output and forward hooks of an inet table and the
// forward hook of a bridge table, every IPv4/IPv6 packet from a to b and
// from b to a: traffic of the namespace itself, traffic it routes, and
// frames its bridges switch (VLAN-tagged frames and non-IP traffic such as
// ARP are not matched).
func newPartition(params json.RawMessage) (faults.Fault, error) {
	var p PartitionParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("net.partition: %w", err)
	}
	if err := validNetns(p.Netns); err != nil {
		return nil, fmt.Errorf("net.partition: %w", err)
	}
	a, err := nftParseAddrs("a", p.A)
	if err != nil {
		return nil, fmt.Errorf("net.partition: %w", err)
	}
	b, err := nftParseAddrs("b", p.B)
	if err != nil {
		return nil, fmt.Errorf("net.partition: %w", err)
	}
	table, explicit, err := nftTableParam("net.partition", p.Table, params)
	if err != nil {
		return nil, err
	}
	prog := &nftProgram{table: table, bridged: true}
	a4, a6 := prog.addSets("a", a)
	b4, b6 := prog.addSets("b", b)
	if a4 && b4 {
		prog.rules = append(prog.rules,
			nftRuleSpec{src: "a4", dst: "b4"}, nftRuleSpec{src: "b4", dst: "a4"})
	}
	if a6 && b6 {
		prog.rules = append(prog.rules,
			nftRuleSpec{v6: true, src: "a6", dst: "b6"}, nftRuleSpec{v6: true, src: "b6", dst: "a6"})
	}
	if len(prog.rules) == 0 {
		return nil, fmt.Errorf("net.partition: a and b share no address family, nothing would be dropped")
	}
	desc := fmt.Sprintf("partition [%s] from [%s] in %s", strings.Join(p.A, " "), strings.Join(p.B, " "), nftNetnsID(p.Netns))
	return newNftTableFault("net.partition", desc, table, explicit, []string{p.Netns}, prog), nil
}

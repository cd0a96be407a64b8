package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
)

// blackhole is a fault kind the engine has never heard of: it says it
// drops everything to one address in one namespace.
type blackhole struct {
	Netns string `json:"netns"`
	Addr  string `json:"addr"`
}

func (b *blackhole) Describe() string         { return "blackhole " + b.Addr }
func (b *blackhole) Targets() []faults.Target { return nil }
func (b *blackhole) Prepare(context.Context) (faults.Undo, error) {
	return faults.Undo{Kind: "test.blackhole"}, nil
}
func (b *blackhole) Inject(context.Context) error { return nil }
func (b *blackhole) Revert(context.Context) error { return nil }
func (b *blackhole) Cuts() []faults.Cut {
	a := netip.MustParseAddr(b.Addr)
	return []faults.Cut{{Netns: b.Netns, Drops: []faults.Drop{{To: []faults.AddrRange{{First: a, Last: a}}}}}}
}

// remoteCall is an action kind the engine has never heard of that talks
// to a remote service.
type remoteCall struct {
	Host string `json:"host"`
}

func (r *remoteCall) Describe() string                           { return "call " + r.Host }
func (r *remoteCall) Targets() []faults.Target                   { return nil }
func (r *remoteCall) Run(context.Context) (faults.Result, error) { return nil, nil }
func (r *remoteCall) Endpoints() []faults.Endpoint {
	return []faults.Endpoint{{Name: "the control service on " + r.Host, Host: r.Host}}
}

func init() {
	faults.Register(faults.Kind{Name: "test.blackhole",
		NewFault: func(raw json.RawMessage) (faults.Fault, error) {
			b := &blackhole{}
			return b, faults.DecodeParams(raw, b)
		},
		Revert: func(context.Context, json.RawMessage) error { return nil }})
	faults.Register(faults.Kind{Name: "test.remote-call",
		NewAction: func(raw json.RawMessage) (faults.Action, error) {
			r := &remoteCall{}
			return r, faults.DecodeParams(raw, r)
		}})
}

var _ = Describe("lock-out protection of a kind the engine does not know", Serial, func() {
	ctx := context.Background()

	It("refuses what a new fault kind says it cuts", func() {
		op, _ := operatorNs()
		plan := lockoutPlan(fmt.Sprintf("  - {name: hole, fault: test.blackhole, with: {netns: %s, addr: 198.18.77.5}, at: 0s}\n", op), "")
		err := plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(ContainSubstring("step hole cuts the default route via 198.18.77.5 (test.blackhole drops every packet to or from 198.18.77.5)")))
	})

	It("protects the path to an endpoint a new action kind says it needs later", func() {
		op, _ := operatorNs()
		steps := fmt.Sprintf(`  - {name: cut-side, fault: link.down, with: {netns: %s, link: eth1}, at: 0s}
  - {name: call, action: test.remote-call, with: {host: 198.18.78.5}, at: 1s}
`, op)
		err := lockoutPlan(steps, "").CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(ContainSubstring("step cut-side cuts the path to the control service on 198.18.78.5 (198.18.78.5) (link eth1 down)")))
	})
})

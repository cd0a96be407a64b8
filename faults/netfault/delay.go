package netfault

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// DelayParams are the `with` parameters of net.delay.
type DelayParams struct {
	Netns  string `json:"netns,omitempty"`
	Link   string `json:"link" required:"true"`
	Delay  string `json:"delay" required:"true" doc:"e.g. 100ms"`
	Jitter string `json:"jitter,omitempty" doc:"e.g. 10ms"`
}

func init() {
	faults.Register(faults.Kind{
		Name:     "net.delay",
		Doc:      "delay a link's egress (and add jitter) with a netem root qdisc; needs sch_netem",
		Params:   DelayParams{},
		NewFault: newDelay,
		Revert:   qdiscRevertParams,
	})
}

// newDelay validates net.delay parameters. Its Preflight fails with
// "kernel lacks sch_netem" (wrapping faults.ErrNotSupported) on kernels
// built without netem.
func newDelay(params json.RawMessage) (faults.Fault, error) {
	var p DelayParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("net.delay: %w", err)
	}
	if err := validNetns(p.Netns); err != nil {
		return nil, fmt.Errorf("net.delay: %w", err)
	}
	if p.Link == "" {
		return nil, fmt.Errorf("net.delay: link is required")
	}
	delay, err := delayParse("delay", p.Delay, false)
	if err != nil {
		return nil, err
	}
	jitter, err := delayParse("jitter", p.Jitter, true)
	if err != nil {
		return nil, err
	}
	desc := fmt.Sprintf("delay %s egress in %s by %s", p.Link, nftNetnsID(p.Netns), delay)
	if jitter > 0 {
		desc += fmt.Sprintf(" ± %s", jitter)
	}
	return &qdiscRootFault{
		kind:  "net.delay",
		qkind: "netem",
		desc:  desc + " (netem)",
		netns: p.Netns,
		link:  p.Link,
		build: func(attrs netlink.QdiscAttrs) netlink.Qdisc {
			return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
				Latency: uint32(delay.Microseconds()),
				Jitter:  uint32(jitter.Microseconds()),
			})
		},
	}, nil
}

func delayParse(field, s string, optional bool) (time.Duration, error) {
	if s == "" && optional {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (d == 0 && !optional) || d > time.Hour {
		return 0, fmt.Errorf("net.delay: %s %q: want a duration such as 100ms", field, s)
	}
	return d, nil
}

package netfault

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// BandwidthParams are the `with` parameters of net.bandwidth.
type BandwidthParams struct {
	Netns   string `json:"netns,omitempty"`
	Link    string `json:"link" required:"true"`
	Rate    string `json:"rate" required:"true" doc:"e.g. 1mbit"`
	Burst   string `json:"burst,omitempty" doc:"bucket size; default 20ms at rate, at least 6056 bytes (four full frames)"`
	Latency string `json:"latency,omitempty" default:"50ms" doc:"longest a packet may queue"`
}

func init() {
	faults.Register(faults.Kind{
		Name:     "net.bandwidth",
		Doc:      "rate-limit a link's egress with a tbf root qdisc (previous root qdisc restored)",
		Params:   BandwidthParams{},
		NewFault: newBandwidth,
		Revert:   qdiscRevertParams,
	})
}

// newBandwidth validates net.bandwidth parameters.
func newBandwidth(params json.RawMessage) (faults.Fault, error) {
	var p BandwidthParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("net.bandwidth: %w", err)
	}
	if err := validNetns(p.Netns); err != nil {
		return nil, fmt.Errorf("net.bandwidth: %w", err)
	}
	if p.Link == "" {
		return nil, fmt.Errorf("net.bandwidth: link is required")
	}
	rate, err := bandwidthParseRate(p.Rate)
	if err != nil {
		return nil, fmt.Errorf("net.bandwidth: %w", err)
	}
	burst := uint32(math.Max(float64(rate)/50, 4*1514))
	if p.Burst != "" {
		if burst, err = bandwidthParseSize(p.Burst); err != nil {
			return nil, fmt.Errorf("net.bandwidth: burst: %w", err)
		}
	}
	latency := 50 * time.Millisecond
	if p.Latency != "" {
		if latency, err = time.ParseDuration(p.Latency); err != nil || latency <= 0 {
			return nil, fmt.Errorf("net.bandwidth: latency %q: want a positive duration such as 50ms", p.Latency)
		}
	}
	// As tc does: the queue holds what the rate drains in `latency`, plus a bucket.
	limit := float64(rate)*latency.Seconds() + float64(burst)
	if limit > math.MaxUint32 {
		return nil, fmt.Errorf("net.bandwidth: rate × latency is too large")
	}
	return &qdiscRootFault{
		kind:  "net.bandwidth",
		qkind: "tbf",
		desc:  fmt.Sprintf("limit %s egress in %s to %s (tbf burst %d B, latency %s)", p.Link, nftNetnsID(p.Netns), p.Rate, burst, latency),
		netns: p.Netns,
		link:  p.Link,
		build: func(attrs netlink.QdiscAttrs) netlink.Qdisc {
			return &netlink.Tbf{QdiscAttrs: attrs, Rate: rate, Limit: uint32(limit), Buffer: netlink.Xmittime(rate, burst)}
		},
	}, nil
}

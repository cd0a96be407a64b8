package netfault_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// BenchmarkLinkDownInjectRevert times one link.down inject+revert through
// netlink (ns/op, and netlink-ns/op) and, in the same run, the same cut
// done by forking `ip -n NS link set dev X down` and `up` (ip-ns/op); the
// ratio is ip-vs-netlink-x.
func BenchmarkLinkDownInjectRevert(b *testing.B) {
	ctx := context.Background()
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	ns := "fl-bench" + hex.EncodeToString(suffix)
	if err := nsutil.Create(ns); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = nsutil.Delete(ns) })
	ip := func(args ...string) {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
	ip("link", "set", "v0", "up")
	ip("link", "set", "v1", "up")
	ip("addr", "add", "198.18.4.1/24", "dev", "v0")
	ip("route", "add", "198.18.120.0/24", "via", "198.18.4.2", "dev", "v0")

	params, _ := json.Marshal(map[string]any{"netns": ns, "link": "v0"})
	k, _ := faults.Lookup(netfault.KindLinkDown)
	f, err := k.NewFault(params)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The engine prepares a step ahead of its time; only inject and
		// revert are on the clock.
		b.StopTimer()
		if _, err := f.Prepare(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := f.Inject(ctx); err != nil {
			b.Fatal(err)
		}
		if err := f.Revert(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	viaNetlink := float64(b.Elapsed().Nanoseconds()) / float64(b.N)

	// Forking is slow: a bounded number of rounds gives a stable figure.
	rounds := min(max(b.N, 20), 200)
	start := time.Now()
	for i := 0; i < rounds; i++ {
		ip("link", "set", "dev", "v0", "down")
		ip("link", "set", "dev", "v0", "up")
	}
	viaIP := float64(time.Since(start).Nanoseconds()) / float64(rounds)
	ip("route", "replace", "198.18.120.0/24", "via", "198.18.4.2", "dev", "v0")

	b.ReportMetric(viaNetlink, "netlink-ns/op")
	b.ReportMetric(viaIP, "ip-ns/op")
	b.ReportMetric(viaIP/viaNetlink, "ip-vs-netlink-x")
}

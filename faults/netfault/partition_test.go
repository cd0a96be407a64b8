package netfault_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// tfRouted is three leaves (a, b, c) behind a router r:
// a 198.18.1.2, b 198.18.2.2, c 198.18.3.2, each a /24 with r at .1.
type tfRouted struct{ r, a, b, c string }

func tfTestRouted() tfRouted {
	GinkgoHelper()
	t := tfRouted{r: testNetns("r"), a: testNetns("a"), b: testNetns("b"), c: testNetns("c")}
	testRun("ip", "netns", "exec", t.r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	for i, leaf := range []string{t.a, t.b, t.c} {
		n := string(rune('1' + i))
		testVeth(t.r, "r"+n, "198.18."+n+".1/24", leaf, "eth0", "198.18."+n+".2/24")
		testRun("ip", "-n", leaf, "route", "add", "default", "via", "198.18."+n+".1")
	}
	return t
}

var _ = Describe("net.partition", Label("traffic"), func() {
	ctx := context.Background()

	It("drops traffic between the sets both ways on a router, passes the rest, and reverts to the exact ruleset", func() {
		t := tfTestRouted()
		tfTestForeignTable(t.r)
		before := tfTestRuleset(t.r)
		Expect(tfTestUDP(t.a, t.b, "198.18.2.2:7001", 100)).To(Equal(100))

		table := netfault.TableName("spec-run", "split ab")
		f := testFault("net.partition", map[string]any{
			"netns": t.r, "a": []string{"198.18.1.0/24"}, "b": []string{"198.18.2.2"}, "table": table,
		})
		Expect(f.Targets()).To(ConsistOf(faults.Target{Kind: "nftables", ID: "netns:" + t.r + "/table " + table}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(undo.Kind).To(Equal("net.partition"))
		Expect(tfTestRuleset(t.r)).To(Equal(before), "Prepare changes nothing")
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })

		Expect(f.Inject(ctx)).To(Succeed())
		rules := tfTestNftText(t.r)
		Expect(rules).To(ContainSubstring("table inet " + table))
		Expect(rules).To(ContainSubstring("ip saddr @a4 ip daddr @b4 counter packets 0 bytes 0 drop"))
		Expect(tfTestUDP(t.a, t.b, "198.18.2.2:7002", 100)).To(Equal(0), "a to b")
		Expect(tfTestUDP(t.b, t.a, "198.18.1.2:7003", 100)).To(Equal(0), "b to a")
		Expect(tfTestTCPReachable(t.a, t.b, "198.18.2.2:7004")).To(BeFalse())
		Expect(tfTestUDP(t.a, t.c, "198.18.3.2:7005", 100)).To(Equal(100), "a to c is not in the partition")
		Expect(tfTestUDP(t.c, t.b, "198.18.2.2:7006", 100)).To(Equal(100), "c to b is not in the partition")
		Expect(f.Inject(ctx)).To(Succeed(), "a repeated inject replaces the table")

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(tfTestRuleset(t.r)).To(Equal(before), "only our table was removed; libvirt_network is intact")
		Expect(tfTestUDP(t.a, t.b, "198.18.2.2:7007", 100)).To(Equal(100))
		Expect(f.Revert(ctx)).To(Succeed(), "revert is idempotent")
		Expect(faults.RevertUndo(ctx, undo)).To(Succeed(), "revert from the undo record is idempotent")
		Expect(tfTestRuleset(t.r)).To(Equal(before))
	})

	It("partitions from inside an endpoint (input and output hooks)", func() {
		t := tfTestRouted()
		f := testFault("net.partition", map[string]any{
			"netns": t.a, "a": []string{"198.18.1.2"}, "b": []string{"198.18.2.0/24", "2001:db8::/32"},
		})
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestUDP(t.a, t.b, "198.18.2.2:7011", 50)).To(Equal(0))
		Expect(tfTestUDP(t.b, t.a, "198.18.1.2:7012", 50)).To(Equal(0))
		Expect(tfTestUDP(t.a, t.c, "198.18.3.2:7013", 50)).To(Equal(50))
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(tfTestUDP(t.b, t.a, "198.18.1.2:7014", 50)).To(Equal(50))
	})

	It("drops bridged traffic in a switch namespace", func() {
		sw, a, b, c := testNetns("sw"), testNetns("a"), testNetns("b"), testNetns("c")
		testRun("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
		testRun("ip", "-n", sw, "link", "set", "br0", "up")
		for i, leaf := range []string{a, b, c} {
			port := "p" + string(rune('1'+i))
			testVeth(sw, port, "", leaf, "eth0", "198.18.9."+string(rune('1'+i))+"/24")
			testRun("ip", "-n", sw, "link", "set", port, "master", "br0")
		}
		before := tfTestRuleset(sw)
		Expect(tfTestUDP(a, b, "198.18.9.2:7021", 50)).To(Equal(50))

		f := testFault("net.partition", map[string]any{"netns": sw, "a": []string{"198.18.9.1"}, "b": []string{"198.18.9.2"}})
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestUDP(a, b, "198.18.9.2:7022", 50)).To(Equal(0))
		Expect(tfTestUDP(b, a, "198.18.9.1:7023", 50)).To(Equal(0))
		Expect(tfTestUDP(a, c, "198.18.9.3:7024", 50)).To(Equal(50))
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(tfTestRuleset(sw)).To(Equal(before))
		Expect(tfTestUDP(a, b, "198.18.9.2:7025", 50)).To(Equal(50))
	})

	It("reverts from an undo record in a fresh process, and succeeds when the namespace is gone", func() {
		ns := testNetns("p")
		f := testFault("net.partition", map[string]any{"netns": ns, "a": []string{"198.18.1.1"}, "b": []string{"198.18.1.2"}})
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		var rec map[string]any
		Expect(json.Unmarshal(undo.Params, &rec)).To(Succeed())
		Expect(rec).To(HaveKey("table"))
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestNftText(ns)).To(ContainSubstring("faultline-net_partition-"))
		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(tfTestNftText(ns)).NotTo(ContainSubstring("faultline-"))

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(nsutil.Delete(ns)).To(Succeed())
		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
	})

	DescribeTable("rejects bad parameters without touching anything",
		func(params string, msg string) {
			k, _ := faults.Lookup("net.partition")
			_, err := k.NewFault(json.RawMessage(params))
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("bad CIDR", `{"a":["198.18.0.0/33"],"b":["198.18.1.1"]}`, "neither an address nor a CIDR"),
		Entry("empty set", `{"a":[],"b":["198.18.1.1"]}`, "at least one"),
		Entry("no common family", `{"a":["198.18.0.1"],"b":["2001:db8::1"]}`, "share no address family"),
		Entry("unknown field", `{"a":["198.18.0.1"],"b":["198.18.0.2"],"c":1}`, "unknown field"),
		Entry("bad table", `{"a":["198.18.0.1"],"b":["198.18.0.2"],"table":"faultline-x y"}`, "only letters"),
		Entry("someone else's table", `{"a":["198.18.0.1"],"b":["198.18.0.2"],"table":"filter"}`, `with.table "filter": must start with "faultline-"`),
		Entry("the old prefix", `{"a":["198.18.0.1"],"b":["198.18.0.2"],"table":"faultline_x"}`, `must start with "faultline-"`),
	)
})

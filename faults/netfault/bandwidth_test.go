package netfault_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// tfTestQdiscs is a link's egress tree as tc shows it: qdiscs and classes.
// htb's direct_packets_stat is a packet counter, not configuration.
func tfTestQdiscs(ns, dev string) string {
	GinkgoHelper()
	out := testRun("tc", "-n", ns, "qdisc", "show", "dev", dev) +
		testRun("tc", "-n", ns, "class", "show", "dev", dev)
	return regexp.MustCompile(`direct_packets_stat \d+`).ReplaceAllString(out, "direct_packets_stat N")
}

// tfTestQdiscBytes is how many bytes the root qdisc of dev has sent.
func tfTestQdiscBytes(ns, dev string) uint64 {
	GinkgoHelper()
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName(dev)
	Expect(err).NotTo(HaveOccurred())
	qs, err := h.QdiscList(l)
	Expect(err).NotTo(HaveOccurred())
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT && q.Attrs().Statistics != nil {
			return q.Attrs().Statistics.Basic.Bytes
		}
	}
	Fail("no root qdisc statistics on " + dev)
	return 0
}

// tfTestPair is a veth between a (198.18.1.1) and b (198.18.1.2).
func tfTestPair() (string, string) {
	GinkgoHelper()
	a, b := testNetns("a"), testNetns("b")
	testVeth(a, "eth0", "198.18.1.1/24", b, "eth0", "198.18.1.2/24")
	return a, b
}

var _ = Describe("net.bandwidth", Label("traffic"), func() {
	ctx := context.Background()

	It("limits TCP throughput to within 10% of the rate and restores the default root", func() {
		a, b := tfTestPair()
		before := tfTestQdiscs(a, "eth0")
		Expect(before).To(ContainSubstring("noqueue 0: root"))

		f := testFault("net.bandwidth", map[string]any{"netns": a, "link": "eth0", "rate": "2mbit"})
		Expect(f.Targets()).To(ConsistOf(faults.Target{Kind: "qdisc", ID: "netns:" + a + "/eth0 root"}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestQdiscs(a, "eth0")).To(ContainSubstring("tbf fa17: root"))

		// tbf bounds bytes on the wire (frames with their headers); TCP
		// goodput is that less header overhead (1448 of 1514 bytes).
		var sent []uint64
		var at []time.Time
		sample := func() {
			sent, at = append(sent, tfTestQdiscBytes(a, "eth0")), append(at, time.Now())
		}
		goodput := tfTestThroughput(a, b, "198.18.1.2:7301", 4*time.Second, sample)
		wire := float64(sent[1]-sent[0]) * 8 / at[1].Sub(at[0]).Seconds()
		GinkgoWriter.Printf("net.bandwidth 2mbit: wire %.0f bit/s (%.1f%%), TCP goodput %.0f bit/s\n", wire, wire/2e6*100, goodput)
		AddReportEntry("tbf 2mbit wire bit/s", wire)
		AddReportEntry("tbf 2mbit TCP goodput bit/s", goodput)
		Expect(wire).To(BeNumerically("~", 2e6, 0.2e6))
		Expect(goodput).To(BeNumerically("<=", 2e6))

		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
		Expect(tfTestThroughput(a, b, "198.18.1.2:7302", time.Second, nil)).To(BeNumerically(">", 20e6), "unlimited again")
		Expect(f.Revert(ctx)).To(Succeed(), "revert is idempotent")
		Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
	})

	DescribeTable("restores an installed root qdisc exactly",
		func(kind string, setup [][]string) {
			a, _ := tfTestPair()
			for _, args := range setup {
				cmd := append([]string{"-n", a}, args...)
				if out, err := exec.Command("tc", cmd...).CombinedOutput(); err != nil {
					if strings.Contains(string(out), "qdisc kind is unknown") {
						Skip("kernel lacks sch_" + kind)
					}
					Fail("tc " + strings.Join(cmd, " ") + ": " + string(out))
				}
			}
			before := tfTestQdiscs(a, "eth0")

			f := testFault("net.bandwidth", map[string]any{"netns": a, "link": "eth0", "rate": "1mbit", "burst": "16kb", "latency": "20ms"})
			undo, err := f.Prepare(ctx)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
			Expect(f.Inject(ctx)).To(Succeed())
			during := tfTestQdiscs(a, "eth0")
			Expect(during).To(ContainSubstring("qdisc tbf"))
			Expect(during).NotTo(Equal(before))

			var rec map[string]any
			Expect(json.Unmarshal(undo.Params, &rec)).To(Succeed())
			Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
			Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
			Expect(f.Revert(ctx)).To(Succeed())
			Expect(tfTestQdiscs(a, "eth0")).To(Equal(before))
		},
		Entry("htb with nested classes and a grafted pfifo", "htb", [][]string{
			{"qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "20", "r2q", "7"},
			{"class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb", "rate", "100mbit"},
			{"class", "add", "dev", "eth0", "parent", "1:10", "classid", "1:20", "htb", "rate", "50mbit", "ceil", "80mbit", "prio", "2"},
			{"qdisc", "add", "dev", "eth0", "parent", "1:20", "handle", "20:", "pfifo", "limit", "50"},
		}),
		Entry("tbf with a grafted pfifo", "tbf", [][]string{{"qdisc", "add", "dev", "eth0", "root", "handle", "5:", "tbf", "rate", "30mbit", "burst", "40kb", "latency", "70ms"},
			{"qdisc", "add", "dev", "eth0", "parent", "5:1", "handle", "6:", "pfifo", "limit", "20"}}),
		Entry("explicit pfifo_fast", "pfifo_fast", [][]string{{"qdisc", "add", "dev", "eth0", "root", "pfifo_fast"}}),
		Entry("pfifo with a limit", "pfifo", [][]string{{"qdisc", "add", "dev", "eth0", "root", "handle", "9:", "pfifo", "limit", "33"}}),
		Entry("fq_codel", "fq_codel", [][]string{{"qdisc", "add", "dev", "eth0", "root", "fq_codel", "target", "7ms", "limit", "777"}}),
	)

	It("leaves alone a root it did not install", func() {
		a, _ := tfTestPair()
		f := testFault("net.bandwidth", map[string]any{"netns": a, "link": "eth0", "rate": "1mbit"})
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())
		testRun("tc", "-n", a, "qdisc", "replace", "dev", "eth0", "root", "handle", "3:", "pfifo", "limit", "10")
		after := tfTestQdiscs(a, "eth0")
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(tfTestQdiscs(a, "eth0")).To(Equal(after))
	})

	DescribeTable("rejects bad parameters",
		func(params string, msg string) {
			k, _ := faults.Lookup("net.bandwidth")
			_, err := k.NewFault(json.RawMessage(params))
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("bad rate unit", `{"link":"eth0","rate":"2furlongs"}`, "unknown unit"),
		Entry("zero rate", `{"link":"eth0","rate":"0mbit"}`, "positive"),
		Entry("no link", `{"rate":"1mbit"}`, "link is required"),
		Entry("bad latency", `{"link":"eth0","rate":"1mbit","latency":"soon"}`, "latency"),
		Entry("bad burst", `{"link":"eth0","rate":"1mbit","burst":"lots"}`, "burst"),
	)
})

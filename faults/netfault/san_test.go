package netfault_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

var _ = Describe("san.fence", Label("traffic"), func() {
	ctx := context.Background()

	// Two hypervisors and a SAN node on a storage switch (bridge in sw):
	// hv-a 198.18.20.1, hv-b 198.18.20.2, san 198.18.20.10 and, on a
	// second link, 198.18.21.10 routed to hv-a's 198.18.21.1.
	type lab struct{ sw, hvA, hvB, san string }
	build := func() lab {
		l := lab{sw: testNetns("sw"), hvA: testNetns("hva"), hvB: testNetns("hvb"), san: testNetns("san")}
		testRun("ip", "-n", l.sw, "link", "add", "br0", "type", "bridge")
		testRun("ip", "-n", l.sw, "link", "set", "br0", "up")
		for i, e := range []struct{ ns, addr string }{{l.hvA, "198.18.20.1/24"}, {l.hvB, "198.18.20.2/24"}, {l.san, "198.18.20.10/24"}} {
			port := "p" + string(rune('1'+i))
			testVeth(l.sw, port, "", e.ns, "st0", e.addr)
			testRun("ip", "-n", l.sw, "link", "set", port, "master", "br0")
		}
		testVeth(l.san, "st1", "198.18.21.10/24", l.hvA, "st1", "198.18.21.1/24")
		testRun("ip", "-n", l.san, "route", "add", "198.18.22.0/24", "via", "198.18.21.1", "metric", "7")
		return l
	}

	It("drops all traffic to and from the SAN's addresses on every listed hypervisor", func() {
		l := build()
		tfTestForeignTable(l.hvA)
		beforeA, beforeB := tfTestRuleset(l.hvA), tfTestRuleset(l.hvB)
		f := testFault("san.fence", map[string]any{
			"netns":     []string{l.hvA, l.hvB},
			"addresses": []string{"198.18.20.10", "198.18.21.10"},
		})
		Expect(f.Targets()).To(HaveLen(2))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())

		Expect(tfTestUDP(l.hvA, l.san, "198.18.20.10:7201", 50)).To(Equal(0))
		Expect(tfTestUDP(l.san, l.hvA, "198.18.20.1:7202", 50)).To(Equal(0))
		Expect(tfTestUDP(l.hvA, l.san, "198.18.21.10:7203", 50)).To(Equal(0), "second SAN address")
		Expect(tfTestUDP(l.hvB, l.san, "198.18.20.10:7204", 50)).To(Equal(0))
		Expect(tfTestUDP(l.hvA, l.hvB, "198.18.20.2:7205", 50)).To(Equal(50), "hypervisors still talk")

		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(tfTestRuleset(l.hvA)).To(Equal(beforeA))
		Expect(tfTestRuleset(l.hvB)).To(Equal(beforeB))
		Expect(tfTestUDP(l.hvB, l.san, "198.18.20.10:7206", 50)).To(Equal(50))
		Expect(f.Revert(ctx)).To(Succeed())
	})

	It("in links mode takes the SAN's links down and restores them with addresses and routes", func() {
		l := build()
		addrs := func() string { return testRun("ip", "-n", l.san, "-br", "addr", "show") }
		routes := func() string { return testRun("ip", "-n", l.san, "route", "show", "table", "all") }
		// IPv6 link-local addresses come back on their own, after DAD;
		// compare what the fault is responsible for.
		v4 := func(s string) string {
			var keep []string
			for _, line := range strings.Split(s, "\n") {
				if !strings.Contains(line, "fe80") && !strings.Contains(line, "ff00::") && !strings.Contains(line, "inet6") {
					keep = append(keep, line)
				}
			}
			return strings.Join(keep, "\n")
		}
		addrsBefore, routesBefore := addrs(), v4(routes())
		Expect(routesBefore).To(ContainSubstring("198.18.22.0/24 via 198.18.21.1 dev st1 metric 7"))

		f := testFault("san.fence", map[string]any{"netns": l.san, "mode": "links", "links": []string{"st0", "st1"}})
		Expect(f.Targets()).To(ConsistOf(
			faults.Target{Kind: "link", ID: "netns:" + l.san + "/st0"},
			faults.Target{Kind: "link", ID: "netns:" + l.san + "/st1"}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestUDP(l.hvA, l.san, "198.18.20.10:7211", 30)).To(Equal(0))
		Expect(tfTestUDP(l.hvA, l.san, "198.18.21.10:7212", 30)).To(Equal(0))
		Expect(v4(routes())).NotTo(ContainSubstring("198.18.22.0/24"), "down flushed the route")

		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(v4(routes())).To(Equal(routesBefore))
		Expect(v4(addrs())).To(Equal(v4(addrsBefore)))
		// The kernel applies carrier-up through linkwatch, up to a second later.
		Eventually(func() int { return tfTestUDP(l.hvA, l.san, "198.18.20.10:7213", 10) }).
			WithTimeout(5 * time.Second).Should(Equal(10))
		Eventually(func() int { return tfTestUDP(l.hvA, l.san, "198.18.21.10:7214", 10) }).
			WithTimeout(5 * time.Second).Should(Equal(10))
		Expect(f.Revert(ctx)).To(Succeed(), "revert is idempotent")
	})

	It("in links mode restores multipath routes over the fenced links, in every table", func() {
		l := build()
		testRun("ip", "-n", l.san, "route", "add", "198.18.23.0/24",
			"nexthop", "via", "198.18.20.1", "dev", "st0", "weight", "2", "nexthop", "via", "198.18.21.1", "dev", "st1")
		testRun("ip", "-n", l.san, "route", "add", "198.18.24.0/24", "table", "100",
			"nexthop", "via", "198.18.20.2", "dev", "st0", "nexthop", "via", "198.18.21.1", "dev", "st1", "weight", "4")
		routes := func() string {
			return testRun("ip", "-n", l.san, "-4", "route", "show", "table", "main") +
				testRun("ip", "-n", l.san, "-4", "route", "show", "table", "100")
		}
		before := routes()
		Expect(before).To(ContainSubstring("198.18.23.0/24"))
		Expect(before).To(ContainSubstring("198.18.24.0/24"))

		f := testFault("san.fence", map[string]any{"netns": l.san, "mode": "links", "links": []string{"st0", "st1"}})
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.TrustUndo(undo)).To(Succeed())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(routes()).NotTo(ContainSubstring("198.18.23.0/24"), "both paths down: the kernel dropped the route")

		Expect(faults.RevertUndo(ctx, undo)).To(Succeed(), "as recover does, from the record alone")
		Expect(routes()).To(Equal(before))
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(routes()).To(Equal(before))
	})

	It("fails preflight for a missing link", func() {
		ns := testNetns("san")
		f := testFault("san.fence", map[string]any{"netns": ns, "mode": "links", "links": []string{"nope0"}})
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(MatchError(faults.ErrNotFound))
	})
})

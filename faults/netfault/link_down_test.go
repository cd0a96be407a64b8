package netfault_test

import (
	"context"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
	"github.com/faultline/faultline/internal/nsutil"
)

// linkDownLab: namespace a reaches b over a0-b0 and a1-b1. b serves TCP on
// every address; 198.18.100.1 and 198.18.102.1 sit behind static routes of
// a (a plain one and a multipath one through two gateways on a0).
type linkDownLab struct{ a, b string }

const linkLabPort = ":7001"

func newLinkDownLab() linkDownLab {
	GinkgoHelper()
	l := linkDownLab{a: testNetns("a"), b: testNetns("b")}
	// IPv4 only: the kernel's IPv6 link-local routes come back on their
	// own after a link goes up (after DAD, late on a loaded machine) and
	// would race the exact comparisons these specs make.
	for _, ns := range []string{l.a, l.b} {
		for _, k := range []string{"all", "default"} {
			testRun("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf."+k+".disable_ipv6=1")
		}
	}
	testVeth(l.a, "a0", "", l.b, "b0", "")
	testVeth(l.a, "a1", "", l.b, "b1", "")
	for _, c := range [][]string{
		{"-n", l.a, "addr", "add", "198.18.1.1/24", "dev", "a0"},
		{"-n", l.a, "addr", "add", "198.18.1.11/24", "dev", "a0", "label", "a0:sec"},
		{"-n", l.a, "addr", "add", "198.18.2.1/24", "dev", "a1"},
		{"-n", l.b, "addr", "add", "198.18.1.2/24", "dev", "b0"},
		{"-n", l.b, "addr", "add", "198.18.1.3/24", "dev", "b0"},
		{"-n", l.b, "addr", "add", "198.18.2.2/24", "dev", "b1"},
		{"-n", l.b, "addr", "add", "198.18.100.1/32", "dev", "lo"},
		{"-n", l.b, "addr", "add", "198.18.102.1/32", "dev", "lo"},
		// Static routes of every shape the kernel drops with the link.
		{"-n", l.a, "route", "add", "198.18.100.0/24", "via", "198.18.1.2", "dev", "a0", "proto", "static", "metric", "10", "mtu", "1400"},
		{"-n", l.a, "route", "add", "198.18.101.0/24", "via", "198.18.1.2", "dev", "a0", "table", "100"},
		{"-n", l.a, "route", "add", "default", "via", "198.18.1.2", "dev", "a0", "table", "200"},
		{"-n", l.a, "route", "add", "198.18.102.0/24", "nexthop", "via", "198.18.1.2", "dev", "a0", "weight", "1",
			"nexthop", "via", "198.18.1.3", "dev", "a0", "weight", "3"},
		{"-n", l.a, "route", "add", "198.18.103.0/24", "nexthop", "via", "198.18.1.2", "dev", "a0",
			"nexthop", "via", "198.18.2.2", "dev", "a1"},
		{"-n", l.a, "route", "add", "198.18.104.0/24", "dev", "a0", "src", "198.18.1.1", "scope", "link"},
		{"-n", l.a, "route", "add", "198.18.105.1", "via", "198.18.9.9", "dev", "a0", "onlink"},
		{"-n", l.a, "route", "add", "198.18.106.0/24", "via", "198.18.2.2", "dev", "a1", "src", "198.18.1.1"},
		{"-n", l.a, "route", "add", "198.18.107.0/24", "via", "198.18.2.2", "dev", "a1"},
	} {
		testRun("ip", c...)
	}
	linkTestListen(l.b, "0.0.0.0"+linkLabPort)
	return l
}

func (l linkDownLab) dial(ip string) error {
	return linkTestDial(l.a, ip+linkLabPort, 300*time.Millisecond)
}

func (l linkDownLab) expectReachable() {
	GinkgoHelper()
	for _, ip := range []string{"198.18.1.2", "198.18.100.1", "198.18.102.1"} {
		Eventually(func() error { return l.dial(ip) }).WithTimeout(3*time.Second).Should(Succeed(), "dial %s", ip)
	}
}

var _ = Describe("link.down", func() {
	ctx := context.Background()

	It("cuts traffic while down and restores links, addresses and routes exactly", func() {
		lab := newLinkDownLab()
		lab.expectReachable()
		before := linkTestSnapshot(lab.a)

		f := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "link": "a0"})
		linkTestRevertOnCleanup(f)
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty(), "Prepare changes nothing")

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(linkTestLinkUp(lab.a, "a0")).To(BeFalse())
		Expect(lab.dial("198.18.1.2")).NotTo(Succeed())
		Expect(lab.dial("198.18.100.1")).NotTo(Succeed())
		during := linkTestSnapshot(lab.a).Diff(before)
		// The kernel really dropped the static routes: Revert has work to do.
		Expect(during).To(ContainElement(HavePrefix("- route family 2 table 254 type 1 198.18.100.0/24")))
		Expect(during).To(ContainElement(HavePrefix("- route family 2 table 100 type 1 198.18.101.0/24")))
		Expect(during).To(ContainElement(HavePrefix("- route family 2 table 254 type 1 198.18.102.0/24")))

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
		lab.expectReachable()

		Expect(f.Revert(ctx)).To(Succeed(), "second revert")
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
	})

	It("cuts several NICs of a namespace at once and brings back the multipath route over both", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)
		f := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "links": []string{"a0", "a1"}})
		linkTestRevertOnCleanup(f)
		Expect(f.Targets()).To(ConsistOf(
			faults.Target{Kind: "link", ID: "netns:" + lab.a + "/a0"},
			faults.Target{Kind: "link", ID: "netns:" + lab.a + "/a1"}))

		Expect(f.Inject(ctx)).To(Succeed(), "Inject without Prepare snapshots first")
		Expect(linkTestLinkUp(lab.a, "a0")).To(BeFalse())
		Expect(linkTestLinkUp(lab.a, "a1")).To(BeFalse())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(
			ContainElement(HavePrefix("- route family 2 table 254 type 1 198.18.103.0/24")))

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
	})

	It("reverts from the undo record alone, in place of the fault object", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)
		f := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "link": "a0"})
		linkTestRevertOnCleanup(f)
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(undo.Kind).To(Equal(netfault.KindLinkDown))

		var rec struct {
			With   map[string]any         `json:"with"`
			Inode  uint64                 `json:"inode"`
			Before netfault.NetnsSnapshot `json:"before"`
		}
		Expect(json.Unmarshal(undo.Params, &rec)).To(Succeed())
		ino, err := nsutil.Inode(lab.a)
		Expect(err).NotTo(HaveOccurred())
		Expect(rec.Inode).To(Equal(ino))
		Expect(rec.With).To(HaveKeyWithValue("link", "a0"))
		Expect(rec.Before.Routes).To(ContainElement(HaveField("Dst", "198.18.100.0/24")))

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(faults.RevertUndo(ctx, linkTestJournal(undo))).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())
		lab.expectReachable()
		Expect(faults.RevertUndo(ctx, linkTestJournal(undo))).To(Succeed(), "replaying the record again")
	})

	It("reverting what was never injected, or already healed, succeeds and changes nothing", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)

		never := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "link": "a0"})
		Expect(never.Revert(ctx)).To(Succeed())
		_, err := never.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(never.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty())

		healed := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "link": "a0"})
		linkTestRevertOnCleanup(healed)
		Expect(healed.Inject(ctx)).To(Succeed())
		testRun("ip", "-n", lab.a, "link", "set", "a0", "up")
		Expect(healed.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.a).Diff(before)).To(BeEmpty(), "static routes come back though the link was already up")
	})

	It("reports a namespace that vanished or was recreated as not found", func() {
		lab := newLinkDownLab()
		f := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "link": "a0"})
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(ctx)).To(Succeed())

		Expect(nsutil.Delete(lab.a)).To(Succeed())
		err = f.Revert(ctx)
		Expect(err).To(MatchError(faults.ErrNotFound))

		Expect(nsutil.Create(lab.a)).To(Succeed())
		err = faults.RevertUndo(ctx, undo)
		Expect(err).To(MatchError(faults.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring("recreated"))
		Expect(f.Revert(ctx)).To(MatchError(faults.ErrNotFound))
	})

	It("reports a link that vanished as not found and still restores the others", func() {
		lab := newLinkDownLab()
		before := linkTestSnapshot(lab.a)
		f := testFault(netfault.KindLinkDown, map[string]any{"netns": lab.a, "links": []string{"a0", "a1"}})
		linkTestRevertOnCleanup(f)
		Expect(f.Inject(ctx)).To(Succeed())
		testRun("ip", "-n", lab.a, "link", "del", "a0")

		err := f.Revert(ctx)
		Expect(err).To(MatchError(faults.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring("netns:" + lab.a + "/a0"))
		Expect(linkTestLinkUp(lab.a, "a1")).To(BeTrue())
		Expect(before.Routes).To(ContainElement(HaveField("Dst", "198.18.107.0/24")))
		Expect(linkTestSnapshot(lab.a).Routes).To(ContainElement(HaveField("Dst", "198.18.107.0/24")),
			"a1's static route is back")
	})
})

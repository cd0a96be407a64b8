package netfault_test

import (
	"context"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
)

// switchLab: namespace s holds bridge br0 with ports p1 (to h1 in
// namespace h1), p2 (to h2 in h2, learning off, hairpin on) and p3 (admin
// down, its peer q3 in s itself). br0 has an address and static routes.
type switchLab struct{ s, h1, h2 string }

const switchLabPort = ":7002"

func newSwitchLab() switchLab {
	GinkgoHelper()
	l := switchLab{s: testNetns("s"), h1: testNetns("h"), h2: testNetns("h")}
	// IPv4 only, as in the link.down lab: IPv6 link-local routes return
	// on their own after DAD and would race the exact comparisons.
	for _, ns := range []string{l.s, l.h1, l.h2} {
		for _, k := range []string{"all", "default"} {
			testRun("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf."+k+".disable_ipv6=1")
		}
	}
	testRun("ip", "-n", l.s, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0")
	testVeth(l.s, "p1", "", l.h1, "h1", "")
	testVeth(l.s, "p2", "", l.h2, "h2", "")
	testRun("ip", "-n", l.s, "link", "add", "p3", "type", "veth", "peer", "name", "q3")
	for _, c := range [][]string{
		{"-n", l.s, "link", "set", "p1", "master", "br0"},
		{"-n", l.s, "link", "set", "p2", "master", "br0"},
		{"-n", l.s, "link", "set", "p3", "master", "br0"},
		{"-n", l.s, "link", "set", "p2", "type", "bridge_slave", "learning", "off", "hairpin", "on"},
		{"-n", l.s, "link", "set", "br0", "up"},
		{"-n", l.s, "link", "set", "q3", "up"},
		{"-n", l.s, "addr", "add", "198.18.3.254/24", "dev", "br0"},
		{"-n", l.s, "route", "add", "198.18.110.0/24", "via", "198.18.3.1", "dev", "br0"},
		{"-n", l.s, "route", "add", "198.18.111.0/24", "via", "198.18.3.2", "dev", "br0", "table", "100"},
		{"-n", l.h1, "addr", "add", "198.18.3.1/24", "dev", "h1"},
		{"-n", l.h2, "addr", "add", "198.18.3.2/24", "dev", "h2"},
	} {
		testRun("ip", c...)
	}
	linkTestListen(l.h2, "0.0.0.0"+switchLabPort)
	return l
}

func (l switchLab) dial() error {
	return linkTestDial(l.h1, "198.18.3.2"+switchLabPort, 300*time.Millisecond)
}

func (l switchLab) expectReachable() {
	GinkgoHelper()
	Eventually(l.dial).WithTimeout(3 * time.Second).Should(Succeed())
}

// bridgeLinks is iproute2's own view of the ports (state, flags, cost), to
// check the restore against something other than our snapshot.
func (l switchLab) bridgeLinks() string {
	GinkgoHelper()
	out, err := exec.Command("bridge", "-n", l.s, "-d", "link", "show").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return string(out)
}

func (l switchLab) master(link string) string {
	GinkgoHelper()
	for _, x := range linkTestSnapshot(l.s).Links {
		if x.Name == link {
			return x.Master
		}
	}
	Fail("no link " + link)
	return ""
}

var _ = Describe("switch.down", func() {
	ctx := context.Background()

	It("stops traffic across the bridge and restores admin states and routes", func() {
		lab := newSwitchLab()
		lab.expectReachable()
		before, ports := linkTestSnapshot(lab.s), lab.bridgeLinks()
		Expect(before.Ports).To(ContainElement(SatisfyAll(
			HaveField("Link", "p2"), HaveField("Learning", false), HaveField("Hairpin", true))))

		f := testFault(netfault.KindSwitchDown, map[string]any{"netns": lab.s, "bridge": "br0"})
		linkTestRevertOnCleanup(f)
		Expect(f.Targets()).To(Equal([]faults.Target{{Kind: "bridge", ID: "netns:" + lab.s + "/br0"}}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())

		Expect(f.Inject(ctx)).To(Succeed())
		for _, l := range []string{"br0", "p1", "p2", "p3"} {
			Expect(linkTestLinkUp(lab.s, l)).To(BeFalse(), l)
		}
		Expect(lab.dial()).NotTo(Succeed())
		Expect(linkTestSnapshot(lab.s).Diff(before)).To(
			ContainElement(HavePrefix("- route family 2 table 254 type 1 198.18.110.0/24")))

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.s).Diff(before)).To(BeEmpty())
		Expect(linkTestLinkUp(lab.s, "p3")).To(BeFalse(), "a port that was down stays down")
		Expect(lab.bridgeLinks()).To(Equal(ports))
		lab.expectReachable()

		Expect(f.Inject(ctx)).To(Succeed(), "inject again after a revert")
		Expect(faults.RevertUndo(ctx, linkTestJournal(undo))).To(Succeed())
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.s).Diff(before)).To(BeEmpty())
		lab.expectReachable()
	})
})

var _ = Describe("switch.isolate", func() {
	ctx := context.Background()

	It("detaches ports and reattaches them with their settings", func() {
		lab := newSwitchLab()
		lab.expectReachable()
		before, ports := linkTestSnapshot(lab.s), lab.bridgeLinks()

		f := testFault(netfault.KindSwitchIsolate, map[string]any{
			"netns": lab.s, "bridge": "br0", "ports": []string{"p2", "p3"},
		})
		linkTestRevertOnCleanup(f)
		Expect(f.Targets()).To(Equal([]faults.Target{
			{Kind: "bridge", ID: "netns:" + lab.s + "/br0"},
			{Kind: "link", ID: "netns:" + lab.s + "/p2"},
			{Kind: "link", ID: "netns:" + lab.s + "/p3"},
		}))
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(lab.master("p2")).To(BeEmpty())
		Expect(lab.master("p3")).To(BeEmpty())
		Expect(lab.master("p1")).To(Equal("br0"))
		Expect(linkTestLinkUp(lab.s, "p2")).To(BeTrue(), "isolated, not down")
		Expect(lab.dial()).NotTo(Succeed())

		Expect(f.Revert(ctx)).To(Succeed())
		Expect(linkTestSnapshot(lab.s).Diff(before)).To(BeEmpty())
		Expect(lab.bridgeLinks()).To(Equal(ports))
		lab.expectReachable()
		Expect(f.Revert(ctx)).To(Succeed())

		Expect(f.Inject(ctx)).To(Succeed())
		Expect(faults.RevertUndo(ctx, linkTestJournal(undo))).To(Succeed())
		Expect(linkTestSnapshot(lab.s).Diff(before)).To(BeEmpty())
		Expect(lab.bridgeLinks()).To(Equal(ports))
	})

	It("checks in Preflight that the bridge is a bridge and the ports are its ports", func() {
		lab := newSwitchLab()
		check := func(kind string, params map[string]any) error {
			return testFault(kind, params).(faults.Preflighter).Preflight(ctx)
		}
		for _, c := range []struct {
			kind   string
			params map[string]any
			says   string
		}{
			{netfault.KindSwitchDown, map[string]any{"netns": lab.s, "bridge": "p1"}, "not a bridge"},
			{netfault.KindSwitchDown, map[string]any{"netns": lab.s, "bridge": "br9"}, "br9"},
			{netfault.KindSwitchDown, map[string]any{"netns": lab.s + "x", "bridge": "br0"}, lab.s + "x"},
			{netfault.KindSwitchIsolate, map[string]any{"netns": lab.s, "bridge": "br0", "ports": []string{"q3"}}, "not a port of bridge br0"},
			{netfault.KindSwitchIsolate, map[string]any{"netns": lab.s, "bridge": "br0", "ports": []string{"p1", "p9"}}, "p9"},
		} {
			err := check(c.kind, c.params)
			Expect(err).To(MatchError(faults.ErrNotFound), "%s %v", c.kind, c.params)
			Expect(err.Error()).To(ContainSubstring(c.says))
		}
		f := testFault(netfault.KindSwitchIsolate, map[string]any{"netns": lab.s, "bridge": "br0", "ports": []string{"q3"}})
		_, err := f.Prepare(ctx)
		Expect(err).To(MatchError(faults.ErrNotFound), "Prepare checks membership too")
		Expect(lab.master("q3")).To(BeEmpty(), "a failed Prepare changes nothing")
	})
})

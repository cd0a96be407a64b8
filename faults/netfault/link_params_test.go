package netfault_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
)

func linkTestBuild(kind, params string) (faults.Fault, error) {
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), kind)
	return k.NewFault(json.RawMessage(params))
}

var _ = Describe("link and switch fault parameters", func() {
	It("registers the four kinds as faults with a revert", func() {
		for _, n := range []string{netfault.KindLinkDown, netfault.KindLinkFlap, netfault.KindSwitchDown, netfault.KindSwitchIsolate} {
			k, ok := faults.Lookup(n)
			Expect(ok).To(BeTrue(), n)
			Expect(k.NewFault).NotTo(BeNil())
			Expect(k.Revert).NotTo(BeNil())
			Expect(k.Doc).NotTo(BeEmpty())
		}
	})

	DescribeTable("rejects bad parameters with a clear error",
		func(kind, params, says string) {
			_, err := linkTestBuild(kind, params)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(kind))
			Expect(err.Error()).To(ContainSubstring(says))
		},
		Entry("no link", netfault.KindLinkDown, `{"netns":"x"}`, "link (or links) is required"),
		Entry("unknown field", netfault.KindLinkDown, `{"link":"eth0","nic":"eth1"}`, `unknown field "nic"`),
		Entry("wrong type", netfault.KindLinkDown, `{"link":3}`, "cannot unmarshal"),
		Entry("long link name", netfault.KindLinkDown, `{"link":"a-very-long-name-0"}`, "longer than 15"),
		Entry("slash in link name", netfault.KindLinkDown, `{"links":["ok0","a/b"]}`, `links[1]: "a/b" is not a valid link name`),
		Entry("netns escaping /run/netns", netfault.KindLinkDown, `{"netns":"../etc","link":"eth0"}`, "bad namespace name"),
		Entry("flap without period", netfault.KindLinkFlap, `{"link":"eth0","count":2}`, "period is required"),
		Entry("flap bad period", netfault.KindLinkFlap, `{"link":"eth0","period":"fast","count":2}`, "period"),
		Entry("flap period as number", netfault.KindLinkFlap, `{"link":"eth0","period":200,"count":2}`, "cannot unmarshal"),
		Entry("flap tiny period", netfault.KindLinkFlap, `{"link":"eth0","period":"1us","count":2}`, "below the minimum"),
		Entry("flap zero count", netfault.KindLinkFlap, `{"link":"eth0","period":"200ms"}`, "count must be at least 1"),
		Entry("switch without bridge", netfault.KindSwitchDown, `{"netns":"x"}`, "bridge is required"),
		Entry("switch.down with ports", netfault.KindSwitchDown, `{"bridge":"br0","ports":["p1"]}`, "ports is not a parameter"),
		Entry("isolate without ports", netfault.KindSwitchIsolate, `{"bridge":"br0"}`, "at least one port"),
		Entry("isolate port twice", netfault.KindSwitchIsolate, `{"bridge":"br0","ports":["p1","p1"]}`, "listed twice"),
		Entry("isolate the bridge itself", netfault.KindSwitchIsolate, `{"bridge":"br0","ports":["br0"]}`, "the bridge itself"),
	)

	It("reports every problem at once", func() {
		_, err := linkTestBuild(netfault.KindLinkFlap, `{"netns":"a/b","period":"x","count":0}`)
		Expect(err).To(HaveOccurred())
		for _, s := range []string{"netns", "link (or links)", "period", "count"} {
			Expect(err.Error()).To(ContainSubstring(s))
		}
	})

	It("constructs without touching anything, and names its targets", func() {
		f, err := linkTestBuild(netfault.KindLinkDown, `{"netns":"fl-absent","links":["e0","e1","e0"]}`)
		Expect(err).NotTo(HaveOccurred(), "a missing namespace is Preflight's business")
		Expect(f.Describe()).To(Equal("link.down netns:fl-absent/e0, netns:fl-absent/e1"))
		host, err := linkTestBuild(netfault.KindLinkDown, `{"link":"eth9"}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(host.Targets()).To(Equal([]faults.Target{{Kind: "link", ID: "host/eth9"}}))
		Expect(host.Revert(context.Background())).To(Succeed(), "never prepared: nothing to revert")
	})

	It("reports missing namespaces and links as not found", func() {
		ctx := context.Background()
		ns := testNetns("p")
		testVeth(ns, "v0", "", ns, "v1", "")
		for _, params := range []string{
			`{"netns":"` + ns + `x","link":"v0"}`,
			`{"netns":"` + ns + `","links":["v0","nope0"]}`,
		} {
			f, err := linkTestBuild(netfault.KindLinkDown, params)
			Expect(err).NotTo(HaveOccurred())
			err = f.(faults.Preflighter).Preflight(ctx)
			Expect(err).To(MatchError(faults.ErrNotFound), params)
			_, err = f.Prepare(ctx)
			Expect(err).To(MatchError(faults.ErrNotFound), params)
			Expect(f.Inject(ctx)).To(MatchError(faults.ErrNotFound), params)
		}
		Expect(linkTestLinkUp(ns, "v0")).To(BeTrue(), "a failed Inject touched nothing")
		_, err := netfault.SnapshotNetns(ctx, ns+"x")
		Expect(err).To(MatchError(faults.ErrNotFound))
	})
})

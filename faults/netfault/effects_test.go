package netfault_test

import (
	"encoding/json"
	"net/netip"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

func cutsOf(kind, params string) []faults.Cut {
	f, err := linkTestBuild(kind, params)
	Expect(err).NotTo(HaveOccurred())
	c, ok := f.(faults.Cutter)
	Expect(ok).To(BeTrue(), kind+" says what it cuts")
	return c.Cuts()
}

var _ = Describe("what the network faults say about their effects", func() {
	DescribeTable("refuses a netns that is not a plain name, in every traffic fault",
		func(kind, params string) {
			_, err := linkTestBuild(kind, params)
			Expect(err).To(MatchError(ContainSubstring(`bad namespace name "../../proc/self/ns/net"`)))
		},
		Entry("link.down", "link.down", `{"netns":"../../proc/self/ns/net","link":"eth0"}`),
		Entry("link.flap", "link.flap", `{"netns":"../../proc/self/ns/net","link":"eth0","period":"1s","count":2}`),
		Entry("switch.down", "switch.down", `{"netns":"../../proc/self/ns/net","bridge":"br0"}`),
		Entry("switch.isolate", "switch.isolate", `{"netns":"../../proc/self/ns/net","bridge":"br0","ports":["p0"]}`),
		Entry("net.partition", "net.partition", `{"netns":"../../proc/self/ns/net","a":["0.0.0.0/0"],"b":["198.18.0.1"]}`),
		Entry("net.loss", "net.loss", `{"netns":"../../proc/self/ns/net","to":["0.0.0.0/0"],"percent":100}`),
		Entry("san.fence addresses", "san.fence", `{"netns":["hv-a","../../proc/self/ns/net"],"addresses":["198.18.0.1"]}`),
		Entry("san.fence links", "san.fence", `{"netns":"../../proc/self/ns/net","mode":"links","links":["eth0"]}`),
		Entry("net.delay", "net.delay", `{"netns":"../../proc/self/ns/net","link":"eth0","delay":"10ms"}`),
		Entry("net.bandwidth", "net.bandwidth", `{"netns":"../../proc/self/ns/net","link":"eth0","rate":"1mbit"}`),
	)

	It("says which links and bridges the link and switch faults cut", func() {
		Expect(cutsOf("link.down", `{"netns":"hv-a","links":["eth0","eth1"]}`)).To(Equal([]faults.Cut{{Netns: "hv-a", Links: []string{"eth0", "eth1"}}}))
		Expect(cutsOf("link.flap", `{"link":"eth0","period":"1s","count":2}`)).To(Equal([]faults.Cut{{Links: []string{"eth0"}}}))
		Expect(cutsOf("switch.down", `{"netns":"sw1","bridge":"br0"}`)).To(Equal([]faults.Cut{{Netns: "sw1", Bridges: []string{"br0"}}}))
		Expect(cutsOf("switch.isolate", `{"netns":"sw1","bridge":"br0","ports":["p1"]}`)).To(Equal([]faults.Cut{{Netns: "sw1", Links: []string{"p1"}}}))
		Expect(cutsOf("san.fence", `{"netns":"san-a","mode":"links","links":["eth0"]}`)).To(Equal([]faults.Cut{{Netns: "san-a", Links: []string{"eth0"}}}))
		delay, err := linkTestBuild("net.delay", `{"link":"eth0","delay":"10ms"}`)
		Expect(err).NotTo(HaveOccurred())
		_, cuts := delay.(faults.Cutter)
		Expect(cuts).To(BeFalse(), "a delay slows, it does not cut")
	})

	It("says which packets the nftables faults drop; a loss below 100% cuts nothing", func() {
		a, b := netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.2.9")
		other := netip.MustParseAddr("198.18.3.3")
		cuts := cutsOf("net.partition", `{"netns":"hv-a","a":["198.18.1.0/24"],"b":["198.18.2.9"]}`)
		Expect(cuts).To(HaveLen(1))
		Expect(cuts[0].Netns).To(Equal("hv-a"))
		drops := func(src, dst netip.Addr) bool {
			for _, d := range cuts[0].Drops {
				if d.Matches(src, dst) {
					return true
				}
			}
			return false
		}
		Expect(drops(a, b)).To(BeTrue())
		Expect(drops(b, a)).To(BeTrue())
		Expect(drops(a, other)).To(BeFalse())

		cuts = cutsOf("san.fence", `{"netns":["hv-a","hv-b"],"addresses":["198.18.2.9"]}`)
		Expect(cuts).To(HaveLen(2))
		Expect(cuts[1].Netns).To(Equal("hv-b"))
		for _, d := range cuts[1].Drops {
			Expect(d.Everything()).To(BeTrue(), "a fence drops everything to or from the node")
		}
		cuts = cutsOf("net.loss", `{"to":["198.18.2.9"],"percent":100}`)
		Expect(cuts).To(HaveLen(1))
		Expect(cuts[0].Drops[0].Matches(other, b)).To(BeTrue())

		Expect(cutsOf("net.loss", `{"to":["198.18.2.9"],"percent":50}`)).To(BeEmpty())
	})

	It("tells recover when the namespace of a san.fence in either mode is gone", func() {
		if os.Geteuid() != 0 {
			Skip("needs root for network namespaces")
		}
		ns := testNetns("g")
		ino, err := nsutil.Inode(ns)
		Expect(err).NotTo(HaveOccurred())
		nft, _ := json.Marshal(map[string]any{"table": "t", "families": []string{"inet"}, "netns": []any{map[string]any{"name": ns, "inode": ino}}})
		addrs, _ := json.Marshal(map[string]any{"mode": "addresses", "nft": json.RawMessage(nft)})
		links, _ := json.Marshal(map[string]any{"mode": "links", "link": map[string]any{"with": map[string]any{"netns": ns, "link": "eth0"}, "inode": ino}})
		for _, raw := range [][]byte{addrs, links} {
			gone, _ := faults.UndoGone(faults.Undo{Kind: "san.fence", Params: raw})
			Expect(gone).To(BeFalse(), "the namespace is still there")
		}
		Expect(nsutil.Delete(ns)).To(Succeed())
		for _, raw := range [][]byte{addrs, links} {
			gone, why := faults.UndoGone(faults.Undo{Kind: "san.fence", Params: raw})
			Expect(gone).To(BeTrue())
			Expect(why).To(ContainSubstring("was deleted"))
		}
	})
})

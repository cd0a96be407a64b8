package lab_test

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/faultline/faultline/internal/lab"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const goodTopology = `version: 1
name: tiny
subnet: 198.18.20.0/24
switches:
  - {name: s1, priority: 4096}
nodes:
  - {name: c1, address: 198.18.20.1/24, uplinks: [s1]}
  - {name: st1, address: 198.18.20.5/24, uplinks: [s1], san: {size: 8MiB}}
  - {name: st2, address: 198.18.20.6/24, uplinks: [s1], san: {size: 8MiB}}
hypervisors:
  - {name: h1, address: 198.18.20.2/24, uplinks: [s1]}
vms:
  - {name: v1, hypervisor: h1, address: 198.18.20.11/24, memory: 128MiB, mirror: [st1, st2]}
`

var _ = Describe("topology", func() {
	It("embeds the seed: two switches, three dual-homed hypervisors, two SANs, a VRRP pair", func() {
		t := lab.Seed()
		Expect(t.Name).To(Equal("seed"))
		Expect(t.Namespaces()).To(Equal([]string{"client", "hv-a", "hv-b", "hv-c", "san-a", "san-b", "sw1", "sw2"}))
		for _, h := range t.Hypervisors {
			Expect(h.Uplinks).To(Equal([]string{"sw1", "sw2"}), h.Name)
		}
		Expect(t.VMs).To(HaveLen(2))
		Expect(t.VMs[0].Hypervisor).To(Equal("hv-a"))
		Expect(t.VMs[1].Hypervisor).To(Equal("hv-b"))
		Expect(t.VIPs()).To(Equal([]string{"198.18.10.100"}))
		Expect(t.ClientNode()).To(Equal("client"))
	})

	It("loads a valid file from disk", func() {
		p := filepath.Join(GinkgoT().TempDir(), "tiny.yaml")
		Expect(os.WriteFile(p, []byte(goodTopology), 0o644)).To(Succeed())
		t, err := lab.LoadTopology(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(t.File).To(Equal(p))
		Expect(t.VMs[0].Mirror).To(Equal([]string{"st1", "st2"}))
	})

	It("names file:line:column of an unknown field", func() {
		src := strings.Replace(goodTopology, "  - {name: s1, priority: 4096}", "  - {name: s1, priority: 4096, colour: red}", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(MatchError(ContainSubstring("t.yaml:5:")))
		Expect(err.Error()).To(ContainSubstring("colour"))
	})

	It("names file:line:column of a wrong type", func() {
		src := strings.Replace(goodTopology, "version: 1", "version: one", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(MatchError(ContainSubstring("t.yaml:1:")))
	})

	It("reports every semantic problem at once, each at its line:column", func() {
		src := goodTopology
		src = strings.Replace(src, "address: 198.18.20.1/24", "address: 10.0.0.1/24", 1)                        // outside the subnet
		src = strings.Replace(src, "uplinks: [s1], san: {size: 8MiB}}", "uplinks: [s9], san: {size: 8MiB}}", 1) // unknown switch
		src = strings.Replace(src, "memory: 128MiB", "memory: lots", 1)                                         // bad size
		src = strings.Replace(src, "hypervisor: h1", "hypervisor: h7", 1)                                       // unknown hypervisor
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(HaveOccurred())
		var te *lab.TopologyError
		Expect(err).To(BeAssignableToTypeOf(te))
		msg := err.Error()
		Expect(msg).To(ContainSubstring("t.yaml:7:25: address 10.0.0.1/24 is outside the subnet"))
		Expect(msg).To(ContainSubstring(`t.yaml:8:52: uplink "s9" is not a switch`))
		Expect(msg).To(ContainSubstring(`t.yaml:13:28: "h7" is not a hypervisor`))
		Expect(msg).To(ContainSubstring(`t.yaml:13:66: bad size "lots"`))
		Expect(strings.Count(msg, "\n")).To(Equal(3))
	})

	It("refuses addresses outside 198.18.0.0/15 and duplicate names", func() {
		src := strings.Replace(goodTopology, "subnet: 198.18.20.0/24", "subnet: 192.168.1.0/24", 1)
		src = strings.Replace(src, "{name: h1,", "{name: c1,", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(MatchError(ContainSubstring("t.yaml:3:")))
		Expect(err.Error()).To(ContainSubstring("inside 198.18.0.0/15"))
		Expect(err.Error()).To(ContainSubstring(`hypervisor name "c1" is already used by a node`))
	})

	DescribeTable("sizes",
		func(in string, want int64, ok bool) {
			got, err := lab.ParseSize(in)
			if !ok {
				Expect(err).To(HaveOccurred())
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry("MiB", "128MiB", int64(128<<20), true),
		Entry("GiB", "1GiB", int64(1<<30), true),
		Entry("bytes", "4096", int64(4096), true),
		Entry("no number", "MiB", int64(0), false),
		Entry("fraction", "1.5GiB", int64(0), false),
		Entry("negative", "-1MiB", int64(0), false),
	)
})

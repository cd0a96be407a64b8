package lab_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/faultline/faultline/internal/lab"
	"github.com/faultline/faultline/internal/strictyaml"
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

	It("names file:line:column and field of an unknown field", func() {
		src := strings.Replace(goodTopology, "  - {name: s1, priority: 4096}", "  - {name: s1, priority: 4096, colour: red}", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(MatchError(ContainSubstring(`t.yaml:5:32: switches[0].colour: unknown field "colour"`)))
	})

	It("names file:line:column and field of a wrong type", func() {
		src := strings.Replace(goodTopology, "version: 1", "version: one", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(MatchError(ContainSubstring("t.yaml:1:10: version: want an integer, got a string")))
	})

	It("reports decoding and semantic problems together, each once", func() {
		src := strings.Replace(goodTopology, "version: 1", "version: one", 1)
		src = strings.Replace(src, "  - {name: s1, priority: 4096}", "  - {name: s1, priority: 4096, colour: red}", 1)
		src = strings.Replace(src, "name: tiny\n", "name: tiny\nname: tiny2\n", 1)
		src = strings.Replace(src, "memory: 128MiB", "memory: [128MiB]", 1)
		src = strings.Replace(src, "address: 198.18.20.1/24", "address: 10.0.0.1/24", 1)
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		var list *strictyaml.ErrorList
		Expect(errors.As(err, &list)).To(BeTrue(), "%T", err)
		msg := err.Error()
		Expect(msg).To(ContainSubstring("t.yaml:1:10: version: want an integer"))
		Expect(msg).To(ContainSubstring(`t.yaml:3:1: name: duplicate field (first set at line 2)`))
		Expect(msg).To(ContainSubstring(`t.yaml:6:32: switches[0].colour: unknown field "colour"`))
		Expect(msg).To(ContainSubstring(`t.yaml:8:25: nodes[0].address: address 10.0.0.1/24 is outside the subnet`))
		Expect(msg).To(ContainSubstring(`t.yaml:14:66: vms[0].memory: want a string, got a list`))
		Expect(strings.Count(msg, "\n")).To(Equal(4), "one error per mistake (no 'version must be 1' after the bad version):\n%s", msg)
	})

	It("reports every semantic problem at once, each at its line:column", func() {
		src := goodTopology
		src = strings.Replace(src, "address: 198.18.20.1/24", "address: 10.0.0.1/24", 1)                        // outside the subnet
		src = strings.Replace(src, "uplinks: [s1], san: {size: 8MiB}}", "uplinks: [s9], san: {size: 8MiB}}", 1) // unknown switch
		src = strings.Replace(src, "memory: 128MiB", "memory: lots", 1)                                         // bad size
		src = strings.Replace(src, "hypervisor: h1", "hypervisor: h7", 1)                                       // unknown hypervisor
		_, err := lab.ParseTopology("t.yaml", []byte(src))
		Expect(err).To(HaveOccurred())
		var list *strictyaml.ErrorList
		Expect(errors.As(err, &list)).To(BeTrue(), "%T", err)
		msg := err.Error()
		Expect(msg).To(ContainSubstring("t.yaml:7:25: nodes[0].address: address 10.0.0.1/24 is outside the subnet"))
		Expect(msg).To(ContainSubstring(`t.yaml:8:52: nodes[1].uplinks[0]: uplink "s9" is not a switch`))
		Expect(msg).To(ContainSubstring(`t.yaml:13:28: vms[0].hypervisor: "h7" is not a hypervisor`))
		Expect(msg).To(ContainSubstring(`t.yaml:13:66: vms[0].memory: bad size "lots"`))
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

package experiments_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
)

var _ = Describe("hosts and on:", func() {
	It("resolves on: to hosts of the inventory and inline hosts, recording the seed", func() {
		e, err := experiments.Load("testdata/hosts/remote.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(e.HostSet).NotTo(BeNil())
		Expect(e.HostSet.Names()).To(Equal([]string{"client", "hv-a", "hv-b", "hv-c", "hv-d"}))
		Expect(e.HostSet.Hosts["hv-d"].Port).To(Equal(2222))
		Expect(e.Probes["vip"].Host).To(Equal("client"))
		Expect(e.Steps[0].Hosts).To(Equal([]string{"hv-a"}))
		Expect(e.Steps[0].Seed).To(BeNil(), "one host: nothing to pick")
		Expect(e.Steps[1].Hosts).To(HaveLen(2))
		Expect(*e.Steps[1].Seed).To(Equal(7))
		Expect(e.Steps[2].Hosts).To(HaveLen(2), "50% of hv-a..hv-d")
		Expect(e.Steps[2].Seed).NotTo(BeNil(), "a seed is chosen and recorded")

		again, err := experiments.Load("testdata/hosts/remote.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Steps[1].Hosts).To(Equal(e.Steps[1].Hosts), "the same seed picks the same hosts")
	})

	It("reports every bad host field and on: at once, with its position", func() {
		_, err := experiments.Load("testdata/hosts/bad.yaml")
		Expect(err).To(HaveOccurred())
		msg := err.Error()
		for _, want := range []string{
			`bad.yaml:4:28: hostDefaults.idenity: unknown field`,
			`bad.yaml:6:37: hosts.hv-d.port: port 99999 is outside 1..65535`,
			`bad.yaml:8:51: probes.vip.on: a probe runs on one host; "group:hypervisors" selects 3`,
			`bad.yaml:10:40: steps[0].on: no host "hv-z"`,
			`bad.yaml:11:53: steps[1].count: count, percent and seed need on: to be a glob or group:NAME`,
			`bad.yaml:12:42: steps[2].on: group:nope: no group "nope"`,
			`bad.yaml:13:5: steps[3]: count, percent and seed need on:`,
		} {
			Expect(msg).To(ContainSubstring(want))
		}
	})

	It("keeps the inventory's variables out of what a journal records", func() {
		e, err := experiments.Load("testdata/hosts/remote.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(e.HostSet.Hosts["hv-a"].Vars).To(HaveKeyWithValue("site_token", "hunter2"))
		b, err := json.Marshal(e)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(ContainSubstring(`"address":"198.19.0.2"`))
		Expect(string(b)).NotTo(ContainSubstring("hunter2"))
	})

	It("names a missing inventory at the inventory field", func() {
		_, err := experiments.Load("testdata/hosts/badinv.yaml")
		Expect(err).To(MatchError(ContainSubstring("badinv.yaml:3:12: inventory: open ")))
	})

	It("leaves an experiment without hosts as it was", func() {
		e, err := experiments.Load(example)
		Expect(err).NotTo(HaveOccurred())
		Expect(e.HostSet).To(BeNil())
	})
})

var _ = Describe("the schema of hosts and on:", func() {
	It("accepts an experiment with inventory, hostDefaults, hosts and on:", func() {
		s := loadSchema()
		Expect(validate(s, s, yamlToJSON("testdata/hosts/remote.yaml"), "")).To(BeEmpty())
	})

	It("rejects an unknown field of a host", func() {
		s := loadSchema()
		doc := yamlToJSON("testdata/hosts/remote.yaml").(map[string]any)
		doc["hosts"].(map[string]any)["hv-d"].(map[string]any)["colour"] = "red"
		Expect(validate(s, s, doc, "")).To(ContainElement(ContainSubstring(".hosts.hv-d")))
		delete(doc["hosts"].(map[string]any)["hv-d"].(map[string]any), "colour")
		Expect(validate(s, s, doc, "")).To(BeEmpty())
	})
})

package hosts_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
)

var _ = Describe("hosts in an experiment", func() {
	It("decodes an inline host strictly, every error at once", func() {
		specs, errs := hosts.DecodeHosts(map[string]any{
			"hv-c":     map[string]any{"address": "198.19.0.4", "port": int64(2200), "dialNetns": "mgmt"},
			"hv-d":     map[string]any{"adress": "x", "port": "22"},
			"hv-e":     nil,
			"bad name": map[string]any{},
		})
		Expect(specs["hv-c"]).To(Equal(hosts.Spec{Address: "198.19.0.4", Port: 2200, DialNetns: "mgmt"}))
		Expect(specs).To(HaveKey("hv-e"))
		Expect(errs).To(ConsistOf(
			HaveField("Field", "bad name"),
			HaveField("Field", "hv-d.adress"),
			And(HaveField("Field", "hv-d.port"), HaveField("Msg", ContainSubstring("want an integer port"))),
		))
	})

	It("refuses ports out of range", func() {
		_, errs := hosts.DecodeSpec(map[string]any{"port": int64(0)})
		Expect(errs).To(ConsistOf(HaveField("Msg", ContainSubstring("outside 1..65535"))))
	})

	It("merges inline hosts over the inventory's, field by field", func() {
		inv, err := hosts.LoadInventory("testdata/cluster.yaml")
		Expect(err).NotTo(HaveOccurred())
		set, err := hosts.NewSet(inv, hosts.Spec{User: "root"}, map[string]hosts.Spec{
			"hv-c":  {Address: "10.0.0.4", DialNetns: "mgmt"},
			"extra": {Address: "198.19.0.50"},
		})
		Expect(err).NotTo(HaveOccurred())
		c, ok := set.Host("hv-c")
		Expect(ok).To(BeTrue())
		Expect(c.Address).To(Equal("10.0.0.4"))
		Expect(c.DialNetns).To(Equal("mgmt"))
		Expect(c.Port).To(Equal(22), "the inventory's fields stay")
		Expect(c.Groups).To(Equal([]string{"hypervisors"}))
		Expect(set.Groups["all"]).To(ContainElement("extra"))
		Expect(set.Hosts["extra"].Source).To(Equal("hosts.extra"))
		Expect(inv.Hosts["hv-c"].Address).To(Equal("198.19.0.4"), "the inventory is not changed")
	})

	It("refuses a host that is its own jump host", func() {
		_, err := hosts.NewSet(nil, hosts.Spec{}, map[string]hosts.Spec{"a": {Jump: "a"}})
		Expect(err).To(MatchError(ContainSubstring("host a (hosts.a): jump")))
	})
})

var _ = Describe("loading an experiment's hosts", func() {
	It("reads the inventory and resolves paths relative to the experiment", func() {
		set, err := hosts.Load("testdata", "cluster.ini", hosts.Spec{KnownHosts: "kh"},
			map[string]hosts.Spec{"hv-c": {Identity: "keys/c"}, "x": {Identity: "~/.ssh/x"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(set.Defaults.KnownHosts).To(Equal("testdata/kh"))
		Expect(set.Hosts["hv-c"].Identity).To(Equal("testdata/keys/c"))
		Expect(set.Hosts["x"].Identity).To(Equal("~/.ssh/x"))
		Expect(set.Groups["hypervisors"]).To(HaveLen(3))
		_, err = hosts.Load("testdata", "missing.ini", hosts.Spec{}, nil)
		Expect(err).To(MatchError(ContainSubstring("testdata/missing.ini")))
	})
})

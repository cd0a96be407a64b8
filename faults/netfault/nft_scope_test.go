package netfault_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
)

var _ = Describe("nftables table names", func() {
	build := func(with map[string]any) faults.Fault {
		k, ok := faults.Lookup("net.partition")
		Expect(ok).To(BeTrue())
		p, _ := json.Marshal(with)
		f, err := k.NewFault(p)
		Expect(err).NotTo(HaveOccurred())
		return f
	}
	It("are named after the run and step once the engine scopes the fault", func() {
		f := build(map[string]any{"netns": "x", "a": []string{"198.18.0.1"}, "b": []string{"198.18.0.2"}})
		f.(interface{ Scope(string, string, string) }).Scope("exp", "run-1", "split")
		Expect(f.Targets()[0].ID).To(HaveSuffix("/table " + netfault.TableName("run-1", "split")))
		Expect(f.Describe()).To(ContainSubstring(netfault.TableName("run-1", "split")))
	})
	It("keep a table the experiment named itself", func() {
		f := build(map[string]any{"netns": "x", "a": []string{"198.18.0.1"}, "b": []string{"198.18.0.2"}, "table": "mine"})
		f.(interface{ Scope(string, string, string) }).Scope("exp", "run-1", "split")
		Expect(f.Targets()[0].ID).To(HaveSuffix("/table mine"))
	})
})

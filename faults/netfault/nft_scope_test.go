package netfault_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
)

var _ = Describe("nftables table names", func() {
	build := func(kind string, with map[string]any) faults.Fault {
		k, ok := faults.Lookup(kind)
		Expect(ok).To(BeTrue())
		p, _ := json.Marshal(with)
		f, err := k.NewFault(p)
		Expect(err).NotTo(HaveOccurred())
		return f
	}
	It("are named after the run and step once the engine scopes the fault", func() {
		f := build("net.partition", map[string]any{"netns": "x", "a": []string{"198.18.0.1"}, "b": []string{"198.18.0.2"}})
		f.(faults.Scoped).SetScope("run-1", "split")
		Expect(netfault.TableName("run-1", "split")).To(Equal("faultline-run-1-split"))
		Expect(f.Targets()[0].ID).To(HaveSuffix("/table faultline-run-1-split"))
		Expect(f.Describe()).To(ContainSubstring("faultline-run-1-split"))
	})
	It("are scoped for every nftables kind, san.fence in addresses mode included", func() {
		for kind, with := range map[string]map[string]any{
			"net.loss":  {"to": []string{"198.18.0.1"}, "percent": 5},
			"san.fence": {"netns": []string{"a", "b"}, "addresses": []string{"198.18.0.1"}},
		} {
			f := build(kind, with)
			sc, ok := f.(faults.Scoped)
			Expect(ok).To(BeTrue(), kind)
			sc.SetScope("r", "s")
			Expect(f.Targets()[0].ID).To(HaveSuffix("/table faultline-r-s"), kind)
		}
	})
	It("always start with the prefix and fit the kernel's limit", func() {
		long := make([]byte, 400)
		for i := range long {
			long[i] = 'x'
		}
		for _, n := range []string{
			netfault.TableName("run", "split ab"), netfault.TableName(string(long), "s"),
			netfault.TableName("r", "a/b"), netfault.TableName("r", "a_b"),
		} {
			Expect(n).To(HavePrefix(netfault.TablePrefix))
			Expect(len(n)).To(BeNumerically("<=", 255))
			Expect(n).To(MatchRegexp(`^[A-Za-z0-9_-]+$`))
		}
		Expect(netfault.TableName("r", "a/b")).NotTo(Equal(netfault.TableName("r", "a_b")), "distinct steps, distinct tables")
		Expect(netfault.TableName(string(long), "s")).NotTo(Equal(netfault.TableName(string(long), "t")))
	})
	It("keep a table the experiment named itself when it is faultline's", func() {
		f := build("net.partition", map[string]any{"netns": "x", "a": []string{"198.18.0.1"}, "b": []string{"198.18.0.2"}, "table": "faultline-mine"})
		f.(faults.Scoped).SetScope("run-1", "split")
		Expect(f.Targets()[0].ID).To(HaveSuffix("/table faultline-mine"))
	})
	It("refuse a table that is not faultline's, naming the field", func() {
		for kind, with := range map[string]map[string]any{
			"net.partition": {"a": []string{"198.18.0.1"}, "b": []string{"198.18.0.2"}},
			"net.loss":      {"to": []string{"198.18.0.1"}, "percent": 5},
			"san.fence":     {"addresses": []string{"198.18.0.1"}},
		} {
			with["table"] = "filter"
			k, _ := faults.Lookup(kind)
			p, _ := json.Marshal(with)
			_, err := k.NewFault(p)
			Expect(err).To(MatchError(ContainSubstring(`with.table "filter": must start with "faultline-"`)), kind)
		}
	})
})

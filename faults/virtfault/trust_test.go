package virtfault_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

const trustTransientXML = `<domain type='test'>
  <name>tmp-x</name>
  <uuid>22222222-2222-4222-8222-000000000001</uuid>
  <memory>65536</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
</domain>`

// trustEdit rewrites an undo record's params through a generic map.
func trustEdit(u faults.Undo, edit func(m map[string]any)) faults.Undo {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal(u.Params, &m)).To(Succeed())
	edit(m)
	raw, err := json.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return faults.Undo{Kind: u.Kind, Params: raw}
}

var _ = Describe("libvirt undo records read back from a journal (test:///)", func() {
	var (
		uri  string
		o    *observer
		undo faults.Undo
	)
	BeforeEach(func() {
		uri = testURI("node-a.xml")
		o = pooled(uri)
		d, err := o.c.DomainCreateXML(trustTransientXML, 0)
		Expect(err).NotTo(HaveOccurred())
		d.Free()
		f := mustFault("domain.destroy", map[string]any{"uri": uri, "domain": "tmp-x"})
		undo, err = f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(undo.Params)).To(ContainSubstring("transientXML"))
		Expect(f.Inject(bg)).To(Succeed())
		_, err = o.c.LookupDomainByName("tmp-x")
		Expect(err).To(HaveOccurred(), "a destroyed transient domain is forgotten")
	})

	domainCount := func() int {
		n, err := o.c.NumOfDomains()
		Expect(err).NotTo(HaveOccurred())
		return n
	}

	It("are trusted as Prepare wrote them, and recreate the transient domain", func() {
		Expect(faults.TrustUndo(undo)).To(Succeed())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		d, err := o.c.LookupDomainByName("tmp-x")
		Expect(err).NotTo(HaveOccurred())
		d.Free()
	})

	It("are refused when the XML would create a domain of another UUID, which is not created", func() {
		foreign := trustEdit(undo, func(m map[string]any) {
			d := m["domains"].([]any)[0].(map[string]any)
			d["transientXML"] = strings.Replace(d["transientXML"].(string),
				"22222222-2222-4222-8222-000000000001", "33333333-3333-4333-8333-000000000001", 1)
		})
		err := faults.TrustUndo(foreign)
		Expect(err).To(MatchError(faults.ErrUntrusted))
		Expect(err).To(MatchError(ContainSubstring("would create another domain")))
		before := domainCount()
		Expect(faults.RevertUndo(bg, foreign)).To(MatchError(faults.ErrUntrusted))
		Expect(domainCount()).To(Equal(before))
		_, err = o.c.LookupDomainByUUIDString("33333333-3333-4333-8333-000000000001")
		Expect(err).To(HaveOccurred())
	})

	It("are refused when a domain is named without a UUID", func() {
		for _, uuid := range []any{"", "00000000-0000-0000-0000-000000000000", "web-a"} {
			bad := trustEdit(undo, func(m map[string]any) { m["domains"].([]any)[0].(map[string]any)["uuid"] = uuid })
			Expect(faults.TrustUndo(bad)).To(MatchError(ContainSubstring("no recorded UUID")), "%v", uuid)
			Expect(faults.RevertUndo(bg, bad)).To(MatchError(faults.ErrUntrusted))
		}
	})

	It("refuses a network record whose XML is of another network", func() {
		f := mustFault("network.destroy", map[string]any{"uri": uri, "network": "storage"})
		u, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.TrustUndo(u)).To(Succeed())
		bad := trustEdit(u, func(m map[string]any) {
			m["transientXML"] = "<network><name>storage</name><uuid>44444444-4444-4444-8444-000000000001</uuid></network>"
		})
		Expect(faults.TrustUndo(bad)).To(MatchError(ContainSubstring("would create another network")))
	})
})

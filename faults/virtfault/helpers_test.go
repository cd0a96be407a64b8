package virtfault_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/virtfault"
)

// testURI copies a node file from testdata into a fresh directory, so the
// spec gets its own test:/// hypervisor (the test driver keeps state per
// connection, and the package pools one connection per URI).
func testURI(node string) string {
	src, err := os.ReadFile(filepath.Join("testdata", node))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(GinkgoT().TempDir(), node)
	Expect(os.WriteFile(p, src, 0o644)).To(Succeed())
	return "test://" + p
}

func fault(kind string, with any) (faults.Fault, error) {
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), kind+" registered")
	Expect(k.NewFault).NotTo(BeNil(), kind+" is a fault")
	raw, err := json.Marshal(with)
	Expect(err).NotTo(HaveOccurred())
	return k.NewFault(raw)
}

func action(kind string, with any) (faults.Action, error) {
	k, ok := faults.Lookup(kind)
	Expect(ok).To(BeTrue(), kind+" registered")
	Expect(k.NewAction).NotTo(BeNil(), kind+" is an action")
	raw, err := json.Marshal(with)
	Expect(err).NotTo(HaveOccurred())
	return k.NewAction(raw)
}

func mustFault(kind string, with any) faults.Fault {
	f, err := fault(kind, with)
	Expect(err).NotTo(HaveOccurred())
	return f
}

// observer is a connection of the spec's own, for checking what a fault
// did; for test:/// it must be the package's pooled one, so it is reached
// through virtfault.Dial only for real daemons.
type observer struct{ c *libvirt.Connect }

func observe(uri string) *observer {
	c, err := libvirt.NewConnect(uri)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _, _ = c.Close() })
	return &observer{c: c}
}

func (o *observer) state(name string) libvirt.DomainState {
	GinkgoHelper()
	d, err := o.c.LookupDomainByName(name)
	Expect(err).NotTo(HaveOccurred())
	defer d.Free()
	st, _, err := d.GetState()
	Expect(err).NotTo(HaveOccurred())
	return st
}

func (o *observer) domain(name string) *libvirt.Domain {
	GinkgoHelper()
	d, err := o.c.LookupDomainByName(name)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(d.Free)
	return d
}

var bg = context.Background()

// pooled returns the package's own connection to a test:/// URI (the
// test driver's state lives in the connection, so checks must use it).
func pooled(uri string) *observer {
	GinkgoHelper()
	c, err := virtfault.PooledConnect(bg, uri)
	Expect(err).NotTo(HaveOccurred())
	return &observer{c: c}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

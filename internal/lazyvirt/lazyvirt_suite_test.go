//go:build linux && cgo && libvirt_dlopen

package lazyvirt_test

import (
	"os"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"libvirt.org/go/libvirt"

	_ "github.com/faultline/faultline/internal/lazyvirt"
)

// loadedAtStart is whether libvirt.so.0 was mapped when the tests began,
// after every package's init (the bindings' included) had run.
var loadedAtStart = libvirtMapped()

func libvirtMapped() bool {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		panic(err)
	}
	return strings.Contains(string(maps), "libvirt.so")
}

func TestLazyvirt(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "lazyvirt")
}

var _ = Describe("libvirt loaded on first use", Ordered, func() {
	It("is not loaded by the bindings' init", func() {
		Expect(loadedAtStart).To(BeFalse())
	})

	It("loads on the first call and works", func() {
		v, err := libvirt.GetVersion()
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeNumerically(">", 1000000))
		Expect(libvirtMapped()).To(BeTrue())
		c, err := libvirt.NewConnect("test:///default")
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		doms, err := c.ListAllDomains(0)
		Expect(err).NotTo(HaveOccurred())
		Expect(doms).NotTo(BeEmpty())
		for _, d := range doms {
			_ = d.Free()
		}
	})

	It("reports libvirt's errors as errors, with the default authentication in place", func() {
		_, err := libvirt.NewConnect("bogus:///nowhere")
		var le libvirt.Error
		Expect(err).To(BeAssignableToTypeOf(le))
		Expect(err.Error()).NotTo(BeEmpty())
		c, err := libvirt.NewConnectWithAuthDefault("test:///default", 0)
		Expect(err).NotTo(HaveOccurred())
		_, _ = c.Close()
	})
})

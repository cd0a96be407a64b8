package experiments_test

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
)

const example = "testdata/kill-server-a.yaml"

var _ = Describe("Load", func() {
	It("decodes the reference example with every value in place", func() {
		e, err := experiments.Load(example)
		Expect(err).NotTo(HaveOccurred())
		Expect(e.File).To(Equal(example))
		Expect(e.Version).To(Equal(1))
		Expect(e.Name).To(Equal("kill-server-a"))
		Expect(e.Description).To(HavePrefix("Server A dies"))
		Expect(e.Labels).To(Equal(map[string]string{"team": "platform"}))
		Expect(e.ProbeOrder).To(Equal([]string{"web", "replicas", "db", "quorum", "both-hold-vip"}))

		web := e.Probes["web"]
		Expect(web.Kind).To(Equal("http"))
		Expect(web.With).To(HaveKeyWithValue("url", "http://198.18.10.100/"))
		Expect(web.With).To(HaveKeyWithValue("status", BeNumerically("==", 200)))
		Expect(web.With).To(HaveKeyWithValue("timeout", "150ms"))
		Expect(probes.Timeout(web.Def("web"))).To(Equal(150 * time.Millisecond))
		Expect(web.Interval()).To(Equal(20 * time.Millisecond))
		Expect(web.Netns).To(Equal("client"))

		Expect(e.Probes["replicas"].Kind).To(Equal("libvirt"))
		Expect(e.Probes["replicas"].With["uris"]).To(HaveLen(2))
		Expect(e.Probes["replicas"].With).To(HaveKeyWithValue("domains", "web-*"))
		Expect(e.Probes["both-hold-vip"].With).To(HaveKeyWithValue("splitBrain", true))
		Expect(e.Probes["db"].Kind).To(Equal("tcp"))
		Expect(e.Probes["db"].With).To(HaveKeyWithValue("address", "198.18.10.100:5432"))
		Expect(e.Probes["db"].Interval()).To(Equal(experiments.DefaultEvery), "every defaults to 100ms")
		var q probes.ExecParams
		Expect(probes.DecodeParams(e.Probes["quorum"].Def("quorum").Params, &q)).To(Succeed())
		Expect(q.Command).To(Equal([]string{"etcdctl", "endpoint", "health"}))
		Expect(q.ExpectExit).NotTo(BeNil())
		Expect(*q.ExpectExit).To(Equal(0))
		Expect(q.Timeout.D()).To(Equal(800 * time.Millisecond))

		Expect(e.SteadyState).To(HaveLen(1))
		Expect(e.SteadyState[0].For.D()).To(Equal(2 * time.Second))
		Expect(e.SteadyState[0].Line).To(Equal(23))

		Expect(e.Steps).To(HaveLen(2))
		axe := e.Steps[0]
		Expect(axe.Name).To(Equal("axe-a"))
		Expect(axe.Kind()).To(Equal("test.fault"))
		Expect(axe.With).To(HaveKeyWithValue("uri", "qemu:///system?socket=/run/faultline/lab/hv-a/libvirt-sock"))
		Expect(axe.At).NotTo(BeNil())
		Expect(axe.At.D()).To(Equal(5 * time.Second))
		Expect(axe.Duration.D()).To(Equal(30 * time.Second))
		Expect(axe.RevertAuto()).To(BeTrue())
		Expect(axe.Line).To(Equal(26))
		remap := e.Steps[1]
		Expect(remap.Action).To(Equal("test.action"))
		Expect(remap.At).To(BeNil())
		Expect(remap.Wait.D()).To(Equal(10 * time.Second))
		Expect(remap.Line).To(Equal(32))

		Expect(e.Observe.D()).To(Equal(time.Minute))
		Expect(e.Verify).To(HaveLen(6))
		Expect(e.Verify[0].Availability).To(Equal(">= 99.5%"))
		Expect(e.Verify[0].During).To(Equal("axe-a"))
		Expect(e.Verify[0].Line).To(Equal(40))
		Expect(e.Verify[1].MaxOutage.D()).To(Equal(3 * time.Second))
		Expect(e.Verify[2].Reaches).To(Equal(">= 2"))
		Expect(e.Verify[2].Within.D()).To(Equal(time.Minute))
		Expect(*e.Verify[3].Latency).To(Equal(experiments.Latency{"p99": "< 200ms"}))
		Expect(e.Verify[4].After).To(Equal("axe-a.end"))
		Expect(e.Verify[5].Never).To(Equal("ok"))
		Expect(e.Verify[5].Line).To(Equal(45))

		Expect(e.AbortWhen).To(HaveLen(2))
		Expect(e.AbortWhen[0].OutageLongerThan.D()).To(Equal(30 * time.Second))
		Expect(e.AbortWhen[1].AvailabilityBelow).To(Equal("90%"))
		Expect(e.AbortWhen[1].Window.D()).To(Equal(5 * time.Second))
		Expect(e.Safety).To(Equal(experiments.Safety{MaxTargets: 4, GuardTTL: experiments.Duration(3 * time.Second)}))
	})

	It("applies the defaults of a minimal file", func() {
		e, err := experiments.Parse("min.yaml", []byte("version: 1\nname: tiny\nprobes:\n  db: {tcp: {address: \"127.0.0.1:1\"}}\nsteps:\n  - {name: s, fault: test.fault, with: {uri: x}}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(e.Probes["db"].Interval()).To(Equal(100 * time.Millisecond))
		Expect(e.Steps[0].RevertAuto()).To(BeTrue())
		Expect(e.Steps[0].At).To(BeNil())
		Expect(e.Steps[0].Duration).To(BeZero())
		Expect(e.Observe).To(BeZero())
		Expect(e.Steps[0].Line).To(Equal(6))
	})

	It("accepts a bare 0 as a duration, anchors and aliases, and a null with", func() {
		src := `version: 1
name: anchors
probes:
  a: {libvirt: {uris: &hvs ["test:///default"], domains: "web-*"}}
  b: {libvirt: {uris: *hvs, domains: "db-*"}}
steps:
  - {name: s, fault: test.fault, with: &w {uri: x, count: 3}, at: 0}
  - {name: t, fault: test.fault, with: *w, revert: never}
  - {name: u, action: test.action, with: {domain: d, uri: !!str 12}}
observe: 0
`
		e, err := experiments.Parse("anchors.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		Expect(e.Probes["b"].With).To(HaveKeyWithValue("uris", []any{"test:///default"}))
		Expect(e.Steps[0].At.D()).To(BeZero())
		Expect(e.Steps[1].With).To(HaveKeyWithValue("count", BeNumerically("==", 3)))
		Expect(e.Steps[1].RevertAuto()).To(BeFalse())
		Expect(e.Steps[2].With).To(HaveKeyWithValue("uri", "12"))
	})

	It("wraps a file that cannot be read", func() {
		_, err := experiments.Load(filepath.Join(GinkgoT().TempDir(), "absent.yaml"))
		Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue())
	})

	It("reads a file from disk with its path in every error", func() {
		path := filepath.Join(GinkgoT().TempDir(), "bad.yaml")
		Expect(os.WriteFile(path, []byte("version: 2\nname: Bad\n"), 0o644)).To(Succeed())
		_, err := experiments.Load(path)
		Expect(err).To(MatchError(path + ":1:10: version: unsupported version 2: this faultline reads version 1\n" +
			path + ":2:7: name: bad name \"Bad\": use only a-z, 0-9 and -"))
	})
})

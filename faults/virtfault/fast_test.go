package virtfault_test

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/virtfault"
	"github.com/faultline/faultline/internal/probes"
)

var _ = Describe("registration and params (test:///)", func() {
	It("registers every kind", func() {
		for _, k := range []string{"domain.destroy", "domain.shutdown", "domain.reboot", "domain.suspend",
			"domain.link.down", "domain.disk.throttle", "hypervisor.destroy", "network.destroy"} {
			kind, ok := faults.Lookup(k)
			Expect(ok).To(BeTrue(), k)
			Expect(kind.NewFault).NotTo(BeNil(), k)
			Expect(kind.Revert).NotTo(BeNil(), k)
		}
		Expect(faults.IsAction("domain.start")).To(BeTrue())
		Expect(faults.IsAction("domain.migrate")).To(BeTrue())
	})

	It("decodes params strictly and reports every problem", func() {
		_, err := fault("domain.destroy", map[string]any{"uri": "test:///default", "domain": "x", "dommain": "y"})
		Expect(err).To(MatchError(ContainSubstring("unknown field")))
		_, err = fault("domain.destroy", map[string]any{"domain": "x", "uuid": "y"})
		Expect(err).To(MatchError(ContainSubstring("uri is required")))
		Expect(err).To(MatchError(ContainSubstring("exactly one of domain, uuid, domains")))
		_, err = fault("domain.destroy", map[string]any{"uri": "u", "domain": "x", "count": 1})
		Expect(err).To(MatchError(ContainSubstring("need domains")))
		_, err = fault("domain.destroy", map[string]any{"uri": "u", "domains": "web-*", "count": 1, "percent": 10})
		Expect(err).To(MatchError(ContainSubstring("exclusive")))
		_, err = fault("domain.destroy", map[string]any{"uri": "u", "domains": "web-["})
		Expect(err).To(MatchError(ContainSubstring("bad glob")))
		_, err = fault("domain.shutdown", map[string]any{"uri": "u", "domain": "x", "deadline": "soon"})
		Expect(err).To(MatchError(ContainSubstring("bad duration")))
		_, err = fault("domain.destroy", map[string]any{"uri": "u", "domain": "x", "deadline": "1s"})
		Expect(err).To(MatchError(ContainSubstring("unknown field")))
		_, err = fault("domain.reboot", map[string]any{"uri": "u", "domain": "x", "mode": "kick"})
		Expect(err).To(MatchError(ContainSubstring("mode must be")))
		_, err = fault("domain.link.down", map[string]any{"uri": "u", "domain": "x"})
		Expect(err).To(MatchError(ContainSubstring("exactly one of mac, target")))
		_, err = fault("network.destroy", map[string]any{"uri": "u"})
		Expect(err).To(MatchError(ContainSubstring("network is required")))
		_, err = action("domain.migrate", map[string]any{"uri": "u", "domain": "x", "to": "u"})
		Expect(err).To(MatchError(ContainSubstring("to must differ")))
		_, err = action("domain.start", map[string]any{"uri": "u"})
		Expect(err).To(MatchError(ContainSubstring("domain is required")))
	})
})

var _ = Describe("domain power faults (test:///)", func() {
	var uri string
	var o *observer
	BeforeEach(func() {
		uri = testURI("node-a.xml")
		o = pooled(uri)
	})

	It("domain.destroy powers off; revert starts; reverting twice succeeds", func() {
		f := mustFault("domain.destroy", map[string]any{"uri": uri, "domain": "web-a"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(undo.Kind).To(Equal("domain.destroy"))
		Expect(string(undo.Params)).To(ContainSubstring(`"uuid":"11111111-1111-4111-8111-000000000001"`))
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Inject(bg)).To(Succeed())
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_SHUTOFF))
		Expect(o.state("web-b")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("reverts from the undo record alone, finding the domain by UUID after a rename", func() {
		f := mustFault("domain.destroy", map[string]any{"uri": uri, "domain": "web-b"})
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		// The name changes while it is off; the record's UUID still finds it.
		Expect(o.domain("web-b").Rename("web-b2", 0)).To(Succeed())
		raw, err := json.Marshal(undo)
		Expect(err).NotTo(HaveOccurred())
		var fresh faults.Undo
		Expect(json.Unmarshal(raw, &fresh)).To(Succeed())
		Expect(faults.RevertUndo(bg, fresh)).To(Succeed())
		Expect(o.state("web-b2")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(faults.RevertUndo(bg, fresh)).To(Succeed())
	})

	It("reverting a fault never injected, or already healed, succeeds", func() {
		f := mustFault("domain.suspend", map[string]any{"uri": uri, "domain": "web-a"})
		Expect(f.Revert(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.shutdown powers the guest off; revert starts it", func() {
		f := mustFault("domain.shutdown", map[string]any{"uri": uri, "domain": "db-1", "deadline": "2s"})
		Expect(f.Describe()).To(ContainSubstring("deadline 2s"))
		_, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(o.state("db-1")).To(Equal(libvirt.DOMAIN_SHUTOFF))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(o.state("db-1")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.reboot (acpi) leaves the domain running; revert is harmless", func() {
		f := mustFault("domain.reboot", map[string]any{"uri": uri, "domain": "db-2", "mode": "acpi"})
		_, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(o.state("db-2")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(o.state("db-2")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.suspend pauses; revert resumes; twice is fine", func() {
		f := mustFault("domain.suspend", map[string]any{"uri": uri, "uuid": "11111111-1111-4111-8111-000000000003"})
		_, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(o.state("web-c")).To(Equal(libvirt.DOMAIN_PAUSED))
		Expect(f.Inject(bg)).To(Succeed(), "suspending a paused domain is what the fault wants")
		Expect(f.Revert(bg)).To(Succeed())
		Expect(o.state("web-c")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Revert(bg)).To(Succeed())
	})
})

var _ = Describe("selection (test:///)", func() {
	picked := func(uri string, with map[string]any) []string {
		f := mustFault("domain.destroy", with)
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		var u struct {
			Seed    *int64 `json:"seed"`
			Domains []struct{ Name string }
		}
		Expect(json.Unmarshal(undo.Params, &u)).To(Succeed())
		Expect(u.Seed).NotTo(BeNil())
		var ns []string
		for _, d := range u.Domains {
			ns = append(ns, d.Name)
		}
		return ns
	}

	It("picks count domains of a glob, the same ones for the same seed", func() {
		uri := testURI("node-a.xml")
		with := map[string]any{"uri": uri, "domains": "web-*", "count": 2, "seed": 7}
		first := picked(uri, with)
		Expect(first).To(HaveLen(2))
		for _, n := range first {
			Expect(n).To(HavePrefix("web-"))
		}
		for range 5 {
			Expect(picked(uri, with)).To(Equal(first))
		}
		// Some other seed picks differently (4 choose 2 = 6 pairs).
		differs := false
		for seed := range 20 {
			if fmt.Sprint(picked(uri, map[string]any{"uri": uri, "domains": "web-*", "count": 2, "seed": seed})) != fmt.Sprint(first) {
				differs = true
				break
			}
		}
		Expect(differs).To(BeTrue())
	})

	It("rounds percent up and takes every match without count or percent", func() {
		uri := testURI("node-a.xml")
		Expect(picked(uri, map[string]any{"uri": uri, "domains": "web-*", "percent": 50, "seed": 1})).To(HaveLen(2))
		Expect(picked(uri, map[string]any{"uri": uri, "domains": "web-*", "percent": 10, "seed": 1})).To(HaveLen(1))
		Expect(picked(uri, map[string]any{"uri": uri, "domains": "*"})).To(HaveLen(6))
	})

	It("chooses and records a seed when omitted, and that seed repeats the pick", func() {
		uri := testURI("node-a.xml")
		f := mustFault("domain.destroy", map[string]any{"uri": uri, "domains": "*", "count": 3})
		Expect(f.Describe()).To(MatchRegexp(`seed \d+`))
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		var u struct {
			Seed    int64 `json:"seed"`
			Domains []struct{ Name string }
		}
		Expect(json.Unmarshal(undo.Params, &u)).To(Succeed())
		Expect(f.Describe()).To(ContainSubstring(fmt.Sprintf("seed %d", u.Seed)))
		var names []string
		for _, d := range u.Domains {
			names = append(names, d.Name)
		}
		Expect(picked(uri, map[string]any{"uri": uri, "domains": "*", "count": 3, "seed": u.Seed})).To(Equal(names))
	})

	It("injects into exactly the picked domains and reverts them", func() {
		uri := testURI("node-a.xml")
		o := pooled(uri)
		f := mustFault("domain.destroy", map[string]any{"uri": uri, "domains": "web-*", "count": 2, "seed": 42})
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		off := 0
		for _, n := range []string{"web-a", "web-b", "web-c", "web-d"} {
			if o.state(n) == libvirt.DOMAIN_SHUTOFF {
				off++
				Expect(string(undo.Params)).To(ContainSubstring(`"name":"` + n + `"`))
			}
		}
		Expect(off).To(Equal(2))
		Expect(o.state("db-1")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(f.Revert(bg)).To(Succeed())
		for _, n := range []string{"web-a", "web-b", "web-c", "web-d"} {
			Expect(o.state(n)).To(Equal(libvirt.DOMAIN_RUNNING))
		}
	})
})

var _ = Describe("vNIC, disk, hypervisor and network faults (test:///)", func() {
	var uri string
	var o *observer
	BeforeEach(func() {
		uri = testURI("node-a.xml")
		o = pooled(uri)
	})

	It("domain.link.down finds the vNIC by target and by MAC, and reports the driver's lack of live update", func() {
		f := mustFault("domain.link.down", map[string]any{"uri": uri, "domain": "web-a", "target": "testnet0"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(undo.Params)).To(ContainSubstring(`"mac":"52:54:00:00:00:01"`))
		Expect(string(undo.Params)).To(ContainSubstring(`"prevLink":"up"`))
		// (the test driver names every vNIC testnet0, whatever the XML says)
		// The test driver has no virDomainUpdateDeviceFlags; the real-daemon spec covers the effect.
		Expect(f.Inject(bg)).To(MatchError(faults.ErrNotSupported))
		Expect(f.Revert(bg)).To(Succeed(), "the link is already in its previous state")

		f = mustFault("domain.link.down", map[string]any{"uri": uri, "domain": "web-a", "mac": "52:54:00:00:00:99"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(MatchError(faults.ErrNotFound))
	})

	It("domain.disk.throttle sets a crawl and restores the previous tune exactly", func() {
		d := o.domain("web-a")
		prev := libvirt.DomainBlockIoTuneParameters{
			ReadBytesSecSet: true, ReadBytesSec: 5_000_000, ReadBytesSecMaxSet: true, ReadBytesSecMax: 6_000_000,
			WriteIopsSecSet: true, WriteIopsSec: 300, WriteIopsSecMaxSet: true, WriteIopsSecMax: 400,
		}
		Expect(d.SetBlockIoTune("vda", &prev, libvirt.DOMAIN_AFFECT_LIVE)).To(Succeed())
		before, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())

		f := mustFault("domain.disk.throttle", map[string]any{"uri": uri, "domain": "web-a"})
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(undo.Params)).To(ContainSubstring(`"disk":"vda"`))
		Expect(f.Inject(bg)).To(Succeed())
		during, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		Expect(during.TotalBytesSec).To(BeEquivalentTo(virtfault.DefaultThrottleBytesPerSec))
		Expect(during.TotalIopsSec).To(BeEquivalentTo(virtfault.DefaultThrottleIOPS))
		Expect(during.ReadBytesSec).To(BeZero())

		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		after, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		Expect(*after).To(Equal(*before))
		Expect(f.Revert(bg)).To(Succeed())
		again, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		Expect(*again).To(Equal(*before))
	})

	It("hypervisor.destroy destroys every running domain at once and starts exactly those again", func() {
		// db-2 is off before the axe: the revert must leave it off.
		Expect(o.domain("db-2").Destroy()).To(Succeed())
		f := mustFault("hypervisor.destroy", map[string]any{"uri": uri})
		Expect(f.Targets()[0]).To(Equal(faults.Target{Kind: "hypervisor", ID: uri}))
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(undo.Params), `"uuid"`)).To(Equal(5))
		Expect(string(undo.Params)).NotTo(ContainSubstring(`"db-2"`))
		Expect(f.Inject(bg)).To(Succeed())
		n, err := o.c.NumOfDomains()
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(BeZero())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		n, err = o.c.NumOfDomains()
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(5))
		Expect(o.state("db-2")).To(Equal(libvirt.DOMAIN_SHUTOFF))
	})

	It("network.destroy stops a network; revert starts it; twice is fine", func() {
		f := mustFault("network.destroy", map[string]any{"uri": uri, "network": "storage"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(undo.Params)).To(ContainSubstring("6a2c1e3b-5d4f-4b8a-9c1d-2e3f4a5b6c02"))
		Expect(f.Inject(bg)).To(Succeed())
		n, err := o.c.LookupNetworkByName("storage")
		Expect(err).NotTo(HaveOccurred())
		defer n.Free()
		active, err := n.IsActive()
		Expect(err).NotTo(HaveOccurred())
		Expect(active).To(BeFalse())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		active, err = n.IsActive()
		Expect(err).NotTo(HaveOccurred())
		Expect(active).To(BeTrue())
	})
})

var _ = Describe("preflight errors (test:///)", func() {
	It("names an absent domain, network or glob as not found", func() {
		uri := testURI("node-a.xml")
		for _, c := range []struct {
			kind string
			with map[string]any
		}{
			{"domain.destroy", map[string]any{"uri": uri, "domain": "nope"}},
			{"domain.suspend", map[string]any{"uri": uri, "uuid": "11111111-1111-4111-8111-0000000000ff"}},
			{"domain.destroy", map[string]any{"uri": uri, "domains": "cache-*", "count": 1}},
			{"network.destroy", map[string]any{"uri": uri, "network": "nope"}},
			{"domain.disk.throttle", map[string]any{"uri": uri, "domain": "web-a", "disk": "vdz"}},
		} {
			err := mustFault(c.kind, c.with).(faults.Preflighter).Preflight(bg)
			Expect(err).To(MatchError(faults.ErrNotFound), fmt.Sprint(c))
		}
		a, err := action("domain.start", map[string]any{"uri": uri, "domain": "nope"})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(bg)).To(MatchError(faults.ErrNotFound))
	})

	It("says an unreachable hypervisor is unreachable", func() {
		uri := "qemu:///system?socket=/nonexistent/fl-libvirt-sock"
		err := mustFault("domain.destroy", map[string]any{"uri": uri, "domain": "x"}).(faults.Preflighter).Preflight(bg)
		Expect(err).To(MatchError(virtfault.ErrUnreachable))
		Expect(err.Error()).To(ContainSubstring("/nonexistent/fl-libvirt-sock"))
	})
})

var _ = Describe("actions (test:///)", func() {
	It("domain.start defines from another hypervisor (remap) and starts; again is a no-op", func() {
		src, dst := testURI("node-a.xml"), testURI("node-c.xml")
		o := pooled(dst)
		_, err := o.c.LookupDomainByName("web-a")
		Expect(err).To(HaveOccurred())
		a, err := action("domain.start", map[string]any{"uri": dst, "domain": "web-a", "defineFrom": src})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.(faults.Preflighter).Preflight(bg)).To(Succeed())
		res, err := a.Run(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveKeyWithValue("defined", true))
		Expect(res).To(HaveKeyWithValue("started", true))
		Expect(res).To(HaveKeyWithValue("uuid", "11111111-1111-4111-8111-000000000001"))
		Expect(o.state("web-a")).To(Equal(libvirt.DOMAIN_RUNNING))
		res, err = a.Run(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveKeyWithValue("defined", false))
		Expect(res).To(HaveKeyWithValue("started", false))
	})

	It("domain.start starts a shut-off domain in place", func() {
		uri := testURI("node-a.xml")
		o := pooled(uri)
		Expect(o.domain("db-1").Destroy()).To(Succeed())
		a, err := action("domain.start", map[string]any{"uri": uri, "domain": "db-1"})
		Expect(err).NotTo(HaveOccurred())
		res, err := a.Run(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveKeyWithValue("started", true))
		Expect(o.state("db-1")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.migrate preflights both ends and reports the test driver's lack of migration", func() {
		src, dst := testURI("node-a.xml"), testURI("node-c.xml")
		a, err := action("domain.migrate", map[string]any{"uri": src, "domain": "web-a", "to": dst})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Describe()).To(ContainSubstring("live"))
		Expect(a.(faults.Preflighter).Preflight(bg)).To(Succeed())
		_, err = a.Run(bg)
		Expect(err).To(MatchError(faults.ErrNotSupported))
		b, err := action("domain.migrate", map[string]any{"uri": src, "domain": "web-a", "to": "qemu:///system?socket=/nonexistent/s"})
		Expect(err).NotTo(HaveOccurred())
		Expect(b.(faults.Preflighter).Preflight(bg)).To(MatchError(virtfault.ErrUnreachable))
	})
})

var _ = Describe("libvirt probe (test:///)", func() {
	newProbe := func(lp *probes.LibvirtParams) probes.Prober {
		p, err := probes.New(libvirtDef(lp))
		Expect(err).NotTo(HaveOccurred())
		return p
	}

	It("counts matching domains in a state across URIs and follows faults", func() {
		a, c := testURI("node-a.xml"), testURI("node-c.xml")
		p := newProbe(&probes.LibvirtParams{URIs: []string{a, c}, Domains: "web-*"})
		s := p.Check(bg)
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(4.0))
		f := mustFault("domain.destroy", map[string]any{"uri": a, "domains": "web-*", "count": 3, "seed": 1})
		_, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(p.Check(bg).Value).To(Equal(1.0))
		off := newProbe(&probes.LibvirtParams{URIs: []string{a, c}, Domains: "web-*", State: "shutoff"})
		Expect(off.Check(bg).Value).To(Equal(3.0))
		all := newProbe(&probes.LibvirtParams{URIs: []string{a, c}, Domains: "*", State: "any"})
		Expect(all.Check(bg).Value).To(Equal(7.0))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(p.Check(bg).Value).To(Equal(4.0))
	})

	It("fails a sample when one domain runs on two hypervisors, naming them", func() {
		a, b := testURI("node-a.xml"), testURI("node-b.xml")
		plain := newProbe(&probes.LibvirtParams{URIs: []string{a, b}, Domains: "web-*"})
		s := plain.Check(bg)
		Expect(s.OK).To(BeTrue())
		Expect(s.Value).To(Equal(6.0))

		sb := newProbe(&probes.LibvirtParams{URIs: []string{a, b}, Domains: "web-*", SplitBrain: true})
		s = sb.Check(bg)
		Expect(s.OK).To(BeFalse())
		Expect(s.Detail).To(ContainSubstring("web-a runs on " + a + ", " + b))

		// Healed: web-a off on b.
		Expect(pooled(b).domain("web-a").Destroy()).To(Succeed())
		s = sb.Check(bg)
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(5.0))
	})

	It("fails a sample when a hypervisor is unreachable and validates its definition", func() {
		a := testURI("node-a.xml")
		p := newProbe(&probes.LibvirtParams{URIs: []string{a, "qemu:///system?socket=/nonexistent/s"}, Domains: "web-*"})
		s := p.Check(bg)
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(4.0))
		Expect(s.Detail).To(ContainSubstring("/nonexistent/s"))

		_, err := probes.New(libvirtDef(&probes.LibvirtParams{Domains: "x"}))
		Expect(err).To(MatchError(ContainSubstring("uris: missing")))
		_, err = probes.New(libvirtDef(&probes.LibvirtParams{URIs: []string{a}, Domains: "x", State: "dancing"}))
		Expect(err).To(MatchError(ContainSubstring("state")))
	})
})

// libvirtDef is a libvirt probe definition as an experiment's loader makes it.
func libvirtDef(p *probes.LibvirtParams) probes.Def {
	b, err := json.Marshal(p)
	Expect(err).NotTo(HaveOccurred())
	return probes.Def{Name: "replicas", Kind: "libvirt", Params: b}
}

package virtfault_test

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/virtfault"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"
)

var _ = Describe("real libvirtd and QEMU", Ordered, Label("real"), func() {
	var lab *realLab
	var a, b *daemon
	var oa, ob *observer

	BeforeAll(func() {
		if why := realLabMissing(); why != "" {
			Skip(why)
		}
		var err error
		lab, err = startRealLab(2)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			virtfault.CloseConnections()
			lab.close()
		})
		a, b = lab.daemons[0], lab.daemons[1]
		oa, ob = observe(a.uri), observe(b.uri)
	})

	run := func(d *daemon, name string, disk, nic bool) domainSpec {
		GinkgoHelper()
		s, err := lab.guest(name, disk, nic)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.define(s, true)).To(Succeed())
		return s
	}

	liveIface := func(o *observer, name, mac string) libvirtxml.DomainInterface {
		GinkgoHelper()
		x, err := o.domain(name).GetXMLDesc(0)
		Expect(err).NotTo(HaveOccurred())
		var def libvirtxml.Domain
		Expect(def.Unmarshal(x)).To(Succeed())
		for _, i := range def.Devices.Interfaces {
			if i.MAC != nil && strings.EqualFold(i.MAC.Address, mac) {
				return i
			}
		}
		Fail("no interface " + mac)
		return libvirtxml.DomainInterface{}
	}

	It("domain.destroy kills QEMU; a fresh process reverts from the undo record", func() {
		run(a, "rd-destroy", true, false)
		f := mustFault("domain.destroy", map[string]any{"uri": a.uri, "domain": "rd-destroy"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(oa.state("rd-destroy")).To(Equal(libvirt.DOMAIN_SHUTOFF))
		virtfault.CloseConnections() // as a new process would: no pooled state
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(oa.state("rd-destroy")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		Expect(oa.state("rd-destroy")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.suspend pauses the vCPUs and resume restores them; domain.reboot resets a running guest", func() {
		run(a, "rd-pause", false, false)
		f := mustFault("domain.suspend", map[string]any{"uri": a.uri, "domain": "rd-pause"})
		_, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		Expect(oa.state("rd-pause")).To(Equal(libvirt.DOMAIN_PAUSED))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		Expect(oa.state("rd-pause")).To(Equal(libvirt.DOMAIN_RUNNING))

		r := mustFault("domain.reboot", map[string]any{"uri": a.uri, "domain": "rd-pause"})
		_, err = r.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Inject(bg)).To(Succeed())
		Expect(oa.state("rd-pause")).To(Equal(libvirt.DOMAIN_RUNNING))
		Expect(r.Revert(bg)).To(Succeed())
	})

	It("domain.shutdown of a guest that ignores ACPI destroys it at the deadline", func() {
		s, err := lab.guest("rd-noacpi", false, false)
		Expect(err).NotTo(HaveOccurred())
		s.noACPI = true
		Expect(a.define(s, true)).To(Succeed())
		f := mustFault("domain.shutdown", map[string]any{"uri": a.uri, "domain": "rd-noacpi", "deadline": "1500ms"})
		_, err = f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		Expect(f.Inject(bg)).To(Succeed())
		Expect(time.Since(t0)).To(BeNumerically(">=", 1500*time.Millisecond))
		Expect(oa.state("rd-noacpi")).To(Equal(libvirt.DOMAIN_SHUTOFF))
		Expect(f.Revert(bg)).To(Succeed())
		Expect(oa.state("rd-noacpi")).To(Equal(libvirt.DOMAIN_RUNNING))
	})

	It("domain.link.down sets the guest-visible link down by target device; revert brings it up", func() {
		s := run(a, "rd-link", false, true)
		f := mustFault("domain.link.down", map[string]any{"uri": a.uri, "domain": "rd-link", "target": s.tap})
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(undo.Params)).To(ContainSubstring(s.mac))
		Expect(f.Inject(bg)).To(Succeed())
		Expect(liveIface(oa, "rd-link", s.mac).Link).To(Equal(&libvirtxml.DomainInterfaceLink{State: "down"}))
		// The host side of the tap stays up: only the guest sees the cut.
		h, err := nsutil.Handle(lab.netns)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		_, err = h.LinkByName(s.tap)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		Expect(liveIface(oa, "rd-link", s.mac).Link).To(Equal(&libvirtxml.DomainInterfaceLink{State: "up"}))
	})

	It("domain.disk.throttle crawls the disk and restores the previous tune", func() {
		run(a, "rd-disk", true, false)
		d := oa.domain("rd-disk")
		Expect(d.SetBlockIoTune("vda", &libvirt.DomainBlockIoTuneParameters{
			ReadBytesSecSet: true, ReadBytesSec: 10 << 20, WriteIopsSecSet: true, WriteIopsSec: 500,
		}, libvirt.DOMAIN_AFFECT_LIVE)).To(Succeed())
		before, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		f := mustFault("domain.disk.throttle", map[string]any{"uri": a.uri, "domain": "rd-disk", "disk": "vda", "bytesPerSec": 8192})
		_, err = f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		during, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		Expect(during.TotalBytesSec).To(BeEquivalentTo(8192))
		Expect(during.ReadBytesSec).To(BeZero())
		Expect(f.Revert(bg)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		after, err := d.GetBlockIoTune("vda", libvirt.DOMAIN_AFFECT_LIVE)
		Expect(err).NotTo(HaveOccurred())
		Expect(*after).To(Equal(*before))
	})

	It("hypervisor.destroy destroys every running guest at once and the revert starts them", func() {
		names := []string{"rd-hv-1", "rd-hv-2", "rd-hv-3"}
		for _, n := range names {
			run(b, n, false, false)
		}
		f := mustFault("hypervisor.destroy", map[string]any{"uri": b.uri, "domains": "rd-hv-*"})
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(undo.Params), `"uuid"`)).To(Equal(3))
		Expect(f.Inject(bg)).To(Succeed())
		for _, n := range names {
			Expect(ob.state(n)).To(Equal(libvirt.DOMAIN_SHUTOFF))
		}
		virtfault.CloseConnections()
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		for _, n := range names {
			Expect(ob.state(n)).To(Equal(libvirt.DOMAIN_RUNNING))
			Expect(ob.domain(n).Destroy()).To(Succeed())
		}
	})

	It("network.destroy removes the virtual switch; revert brings it back", func() {
		if _, err := exec.LookPath("iptables"); err != nil {
			Skip("libvirtd needs iptables (Debian package iptables) to start a network")
		}
		br := "flbr" + fmt.Sprintf("%04x", rand.IntN(0xffff))
		net, err := oa.c.NetworkDefineXML(fmt.Sprintf(`<network><name>rd-san</name><bridge name='%s'/></network>`, br))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = net.Destroy(); _ = net.Undefine(); _ = net.Free() })
		Expect(net.Create()).To(Succeed())
		h, err := nsutil.Handle(lab.netns)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		_, err = h.LinkByName(br)
		Expect(err).NotTo(HaveOccurred())

		f := mustFault("network.destroy", map[string]any{"uri": a.uri, "network": "rd-san"})
		Expect(f.(faults.Preflighter).Preflight(bg)).To(Succeed())
		undo, err := f.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Inject(bg)).To(Succeed())
		_, err = h.LinkByName(br)
		Expect(err).To(HaveOccurred(), "bridge gone")
		Expect(faults.RevertUndo(bg, undo)).To(Succeed())
		Expect(f.Revert(bg)).To(Succeed())
		_, err = h.LinkByName(br)
		Expect(err).NotTo(HaveOccurred(), "bridge back")
	})

	It("domain.start remaps a guest from a destroyed hypervisor; the probe sees split brain when both run it", func() {
		run(a, "rd-web", false, false) // no disk: QEMU's image lock would stop the second copy
		axe := mustFault("hypervisor.destroy", map[string]any{"uri": a.uri, "domains": "rd-web"})
		_, err := axe.Prepare(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(axe.Inject(bg)).To(Succeed())

		remap, err := action("domain.start", map[string]any{"uri": b.uri, "domain": "rd-web", "defineFrom": a.uri})
		Expect(err).NotTo(HaveOccurred())
		Expect(remap.(faults.Preflighter).Preflight(bg)).To(Succeed())
		res, err := remap.Run(bg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveKeyWithValue("defined", true))
		Expect(res).To(HaveKeyWithValue("started", true))
		Expect(ob.state("rd-web")).To(Equal(libvirt.DOMAIN_RUNNING))

		p, err := probes.New(libvirtDef(&probes.LibvirtParams{
			URIs: []string{a.uri, b.uri}, Domains: "rd-web", SplitBrain: true}))
		Expect(err).NotTo(HaveOccurred())
		s := p.Check(bg)
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(1.0))

		// Server A comes back with its guest: the same VM runs twice.
		Expect(axe.Revert(bg)).To(Succeed())
		s = p.Check(bg)
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(2.0))
		Expect(s.Detail).To(ContainSubstring("rd-web runs on " + a.uri + ", " + b.uri))
		Expect(oa.domain("rd-web").Destroy()).To(Succeed())
		Expect(ob.domain("rd-web").Destroy()).To(Succeed())
	})

	It("domain.migrate moves a running guest live and reports downtime and duration", func() {
		run(a, "rd-mig", false, false)
		port := 49152 + rand.IntN(10000)
		m, err := action("domain.migrate", map[string]any{"uri": a.uri, "domain": "rd-mig", "to": b.uri,
			"migrateURI": fmt.Sprintf("tcp://127.0.0.1:%d", port)})
		Expect(err).NotTo(HaveOccurred())
		Expect(m.(faults.Preflighter).Preflight(bg)).To(Succeed())
		res, err := m.Run(bg)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("migration result: %v\n", res)
		Expect(res).To(HaveKey("downtimeMs"))
		Expect(res["downtimeMs"]).To(BeNumerically(">", 0))
		Expect(res["durationMs"]).To(BeNumerically(">=", res["downtimeMs"]))
		Expect(ob.state("rd-mig")).To(Equal(libvirt.DOMAIN_RUNNING))
		_, err = oa.c.LookupDomainByName("rd-mig")
		Expect(err).To(HaveOccurred(), "persistent guest undefined on the source")
	})
})

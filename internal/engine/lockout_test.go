package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/nsutil"

	_ "github.com/faultline/faultline/faults/virtfault"
)

// operatorNs stands for the host: a namespace with a default route via
// 198.18.77.5 on eth0, a second path to 198.18.78.0/24 on eth1, and a
// bridge br0 (198.18.79.1/24) whose port eth2 leads to the peer.
func operatorNs() (op, peer string) {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	s := randSuffix()
	op, peer = "fl-op-"+s, "fl-pe-"+s
	for _, ns := range []string{op, peer} {
		Expect(nsutil.Create(ns)).To(Succeed())
		DeferCleanup(nsutil.Delete, ns)
	}
	h, err := nsutil.Handle(op)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	ph, err := nsutil.Handle(peer)
	Expect(err).NotTo(HaveOccurred())
	defer ph.Close()
	pns, err := nsutil.Open(peer)
	Expect(err).NotTo(HaveOccurred())
	defer pns.Close()
	pair := func(name, peerName, addr, peerAddr string) netlink.Link {
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peerName})).To(Succeed())
		p, err := h.LinkByName(peerName)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetNsFd(p, int(pns))).To(Succeed())
		l, err := h.LinkByName(name)
		Expect(err).NotTo(HaveOccurred())
		if addr != "" {
			a, _ := netlink.ParseAddr(addr)
			Expect(h.AddrAdd(l, a)).To(Succeed())
		}
		Expect(h.LinkSetUp(l)).To(Succeed())
		pl, err := ph.LinkByName(peerName)
		Expect(err).NotTo(HaveOccurred())
		a, _ := netlink.ParseAddr(peerAddr)
		Expect(ph.AddrAdd(pl, a)).To(Succeed())
		Expect(ph.LinkSetUp(pl)).To(Succeed())
		return l
	}
	eth0 := pair("eth0", "p0", "198.18.77.1/24", "198.18.77.5/24")
	pair("eth1", "p1", "198.18.78.1/24", "198.18.78.5/24")
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	Expect(h.LinkAdd(br)).To(Succeed())
	eth2 := pair("eth2", "p2", "", "198.18.79.5/24")
	Expect(h.LinkSetMaster(eth2, br)).To(Succeed())
	a, _ := netlink.ParseAddr("198.18.79.1/24")
	Expect(h.AddrAdd(br, a)).To(Succeed())
	Expect(h.LinkSetUp(br)).To(Succeed())
	Expect(h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: net.ParseIP("198.18.77.5")})).To(Succeed())
	return op, peer
}

func lockoutPlan(steps string, safety string) *engine.Plan {
	src := "version: 1\nname: lockout\nsteps:\n" + steps + safety
	exp, err := experiments.Parse("lockout.yaml", []byte(src))
	Expect(err).NotTo(HaveOccurred())
	plan, err := engine.NewPlan(exp, "lockout")
	Expect(err).NotTo(HaveOccurred())
	return plan
}

func linkUp(ns, name string) bool {
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName(name)
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

var _ = Describe("lock-out protection", Serial, func() {
	ctx := context.Background()

	It("refuses cutting the default route's link, and names the step and the path", func() {
		op, _ := operatorNs()
		plan := lockoutPlan(fmt.Sprintf("  - {name: cut-uplink, fault: link.down, with: {netns: %s, link: eth0}, at: 0s}\n", op), "")
		err := plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err.Error()).To(ContainSubstring("step cut-uplink cuts the default route via 198.18.77.5 (link eth0 down)"))
		Expect(err.Error()).To(ContainSubstring("safety.allowLockout"))
	})

	It("lets a cut of a link the operator does not need through", func() {
		op, _ := operatorNs()
		plan := lockoutPlan(fmt.Sprintf("  - {name: cut-side, fault: link.down, with: {netns: %s, link: eth1}, at: 0s}\n", op), "")
		Expect(plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op, SSHConnection: "198.18.77.9 50000 198.18.77.1 22"}, false)).To(Succeed())
		Expect(plan.Lockout).To(BeEmpty())
	})

	It("refuses a partition that drops the operator's SSH connection, and one that drops the gateway", func() {
		op, _ := operatorNs()
		plan := lockoutPlan(fmt.Sprintf("  - {name: split, fault: net.partition, with: {netns: %s, a: [198.18.79.1], b: [198.18.79.5]}, at: 0s}\n", op), "")
		err := plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op, SSHConnection: "198.18.79.5 50000 198.18.79.1 22"}, true)
		Expect(err).To(MatchError(ContainSubstring("step split cuts the SSH connection from 198.18.79.5")))
		Expect(err.Error()).NotTo(ContainSubstring("default route"))

		plan = lockoutPlan(fmt.Sprintf("  - {name: fence-gw, fault: san.fence, with: {netns: %s, addresses: [198.18.77.5]}, at: 0s}\n", op), "")
		err = plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(ContainSubstring("step fence-gw cuts the default route via 198.18.77.5 (san.fence drops")))
	})

	It("refuses killing the switch, or cutting the bridge port, that carries the SSH connection", func() {
		op, _ := operatorNs()
		ssh := engine.LockoutCheck{Netns: op, SSHConnection: "198.18.79.5 50000 198.18.79.1 22"}
		plan := lockoutPlan(fmt.Sprintf("  - {name: kill-sw, fault: switch.down, with: {netns: %s, bridge: br0}, at: 0s}\n", op), "")
		Expect(plan.CheckLockout(ctx, ssh, true)).To(MatchError(ContainSubstring("step kill-sw cuts the SSH connection from 198.18.79.5 (switch br0 down)")))
		plan = lockoutPlan(fmt.Sprintf("  - {name: cut-port, fault: link.down, with: {netns: %s, link: eth2}, at: 0s}\n", op), "")
		Expect(plan.CheckLockout(ctx, ssh, true)).To(MatchError(ContainSubstring("port eth2 of bridge br0 cut")))
	})

	It("refuses cutting the path to a libvirt URI a later step needs, not one no later step needs", func() {
		op, _ := operatorNs()
		later := fmt.Sprintf(`  - {name: cut-mgmt, fault: link.down, with: {netns: %s, link: eth1}, at: 0s}
  - {name: pause-vm, fault: domain.suspend, with: {uri: "qemu+tcp://198.18.78.5/system", domain: web}, at: 1s}
`, op)
		err := lockoutPlan(later, "").CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(ContainSubstring("step cut-mgmt cuts the path to libvirt qemu+tcp://198.18.78.5/system (198.18.78.5) (link eth1 down)")))

		// An action that is over before the cut needs the path no more.
		earlier := fmt.Sprintf(`  - {name: boot, action: domain.start, with: {uri: "qemu+tcp://198.18.78.5/system", domain: web}, at: 0s}
  - {name: cut-mgmt, fault: link.down, with: {netns: %s, link: eth1}, at: 1s}
`, op)
		Expect(lockoutPlan(earlier, "").CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)).To(Succeed())

		// A fault before the cut still needs it: its revert talks to that hypervisor.
		held := fmt.Sprintf(`  - {name: pause-vm, fault: domain.suspend, with: {uri: "qemu+tcp://198.18.78.5/system", domain: web}, at: 0s}
  - {name: cut-mgmt, fault: link.down, with: {netns: %s, link: eth1}, at: 1s}
`, op)
		Expect(lockoutPlan(held, "").CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)).To(MatchError(ContainSubstring("step cut-mgmt cuts the path to libvirt")))
	})

	It("allows a lock-out with safety.allowLockout only when the run is guarded; unguarded, Run injects nothing (exit 2)", func() {
		op, _ := operatorNs()
		plan := lockoutPlan(fmt.Sprintf("  - {name: cut-uplink, fault: link.down, with: {netns: %s, link: eth0}, at: 0s}\n", op),
			"safety: {allowLockout: true}\n")
		err := plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, false)
		Expect(err).To(MatchError(ContainSubstring("this run has no guard")))
		Expect(plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)).To(Succeed())
		Expect(plan.Lockout).To(HaveLen(1))

		res := engine.Run(ctx, plan, engine.Options{OutDir: GinkgoT().TempDir(), StateDir: GinkgoT().TempDir()})
		Expect(res.Exit).To(Equal(exitcode.Invalid))
		Expect(errors.Is(res.Err, engine.ErrPlan)).To(BeTrue())
		Expect(res.Err.Error()).To(ContainSubstring("no guard"))
		Expect(linkUp(op, "eth0")).To(BeTrue(), "nothing was injected")
	})

	It("refuses, at NewPlan, a link.down of the real host's default-route link (planned only, never run)", func() {
		routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		Expect(err).NotTo(HaveOccurred())
		link := ""
		for _, r := range routes {
			if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw != nil {
				if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
					link = l.Attrs().Name
				}
			}
		}
		if link == "" {
			Skip("the host has no IPv4 default route via a gateway")
		}
		src := fmt.Sprintf("version: 1\nname: lockout\nsteps:\n  - {name: cut, fault: link.down, with: {link: %s}, at: 0s}\n", link)
		exp, err := experiments.Parse("lockout.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		_, err = engine.NewPlan(exp, "lockout")
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err.Error()).To(ContainSubstring("step cut cuts the default route via"))
	})
})

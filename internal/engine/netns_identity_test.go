package engine_test

import (
	"context"
	"fmt"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/nsutil"
)

// aliasNs bind-mounts the namespace of ns under a second name, as
// `ip netns attach` or a hand-made bind mount would.
func aliasNs(ns string) string {
	alias := "fl-al-" + randSuffix()
	Expect(os.WriteFile(nsutil.Path(alias), nil, 0o600)).To(Succeed())
	DeferCleanup(nsutil.Delete, alias)
	Expect(unix.Mount(nsutil.Path(ns), nsutil.Path(alias), "", unix.MS_BIND, "")).To(Succeed())
	return alias
}

var _ = Describe("namespaces are told apart by identity, not by name", Serial, func() {
	ctx := context.Background()

	It("refuses a netns that is a path, before anything is planned", func() {
		src := "version: 1\nname: escape\nsteps:\n" +
			"  - {name: split, fault: net.partition, with: {netns: ../../proc/self/ns/net, a: [0.0.0.0/0], b: [198.18.0.1]}, at: 0s}\n"
		_, err := experiments.Parse("escape.yaml", []byte(src))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("escape.yaml:4:"))
		Expect(err.Error()).To(ContainSubstring(`bad namespace name "../../proc/self/ns/net"`))
	})

	It("refuses cutting the operator's uplink through a second name of its namespace", func() {
		op, _ := operatorNs()
		alias := aliasNs(op)
		plan := lockoutPlan(fmt.Sprintf("  - {name: cut-uplink, fault: link.down, with: {netns: %s, link: eth0}, at: 0s}\n", alias), "")
		err := plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op}, true)
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err.Error()).To(ContainSubstring("step cut-uplink cuts the default route via 198.18.77.5 (link eth0 down)"))

		plan = lockoutPlan(fmt.Sprintf("  - {name: split, fault: net.partition, with: {netns: %s, a: [0.0.0.0/0], b: [198.18.79.1]}, at: 0s}\n", alias), "")
		err = plan.CheckLockout(ctx, engine.LockoutCheck{Netns: op, SSHConnection: "198.18.79.5 50000 198.18.79.1 22"}, true)
		Expect(err).To(MatchError(ContainSubstring("step split cuts the SSH connection from 198.18.79.5 (net.partition drops")))
	})

	It("locks one target once, whatever name its namespace goes by", func() {
		op, _ := operatorNs()
		alias := aliasNs(op)
		state := GinkgoT().TempDir()
		first, err := engine.LockTargets(state, "run-one", []faults.Target{{Kind: "link", ID: "netns:" + op + "/eth0"}})
		Expect(err).NotTo(HaveOccurred())
		defer first.Release()
		_, err = engine.LockTargets(state, "run-two", []faults.Target{{Kind: "link", ID: "netns:" + alias + "/eth0"}})
		Expect(err).To(MatchError(engine.ErrTargetBusy))
		Expect(err.Error()).To(ContainSubstring("held by run run-one"))

		// Another link of the same namespace is another target.
		other, err := engine.LockTargets(state, "run-two", []faults.Target{{Kind: "link", ID: "netns:" + alias + "/eth1"}})
		Expect(err).NotTo(HaveOccurred())
		other.Release()
	})

	It("locks the host's targets once, by \"host\" or by a name bound to the host's namespace", func() {
		if os.Geteuid() != 0 {
			Skip("needs root for bind mounts")
		}
		self := "fl-hs-" + randSuffix()
		Expect(os.WriteFile(nsutil.Path(self), nil, 0o600)).To(Succeed())
		DeferCleanup(nsutil.Delete, self)
		Expect(unix.Mount("/proc/self/ns/net", nsutil.Path(self), "", unix.MS_BIND, "")).To(Succeed())
		if !nsutil.Same("host", self) {
			Skip("this process does not run in the host's namespace")
		}
		state := GinkgoT().TempDir()
		first, err := engine.LockTargets(state, "run-one", []faults.Target{{Kind: "nftables", ID: "host/table fl-x"}})
		Expect(err).NotTo(HaveOccurred())
		defer first.Release()
		_, err = engine.LockTargets(state, "run-two", []faults.Target{{Kind: "nftables", ID: "netns:" + self + "/table fl-x"}})
		Expect(err).To(MatchError(engine.ErrTargetBusy))
	})
})

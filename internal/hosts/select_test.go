package hosts_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
)

var _ = Describe("on: selection", func() {
	var set *hosts.Set
	BeforeEach(func() {
		inv, err := hosts.LoadInventory("testdata/many.ini")
		Expect(err).NotTo(HaveOccurred())
		set, err = hosts.NewSet(inv, hosts.Spec{}, map[string]hosts.Spec{"client": {}})
		Expect(err).NotTo(HaveOccurred())
	})

	sel := func(s hosts.Selector) ([]string, error) {
		Expect(s.Validate()).To(Succeed())
		return set.Select(s)
	}

	It("selects one host by name", func() {
		Expect(sel(hosts.Selector{On: "client"})).To(Equal([]string{"client"}))
	})

	It("selects every match of a glob and every member of a group", func() {
		Expect(sel(hosts.Selector{On: "hv-0*"})).To(HaveLen(9))
		Expect(sel(hosts.Selector{On: "group:hypervisors"})).To(HaveLen(20))
	})

	It("picks count or percent with a recorded seed, reproducibly", func() {
		s := hosts.Selector{On: "group:hypervisors", Count: 3}
		Expect(s.Validate()).To(Succeed())
		Expect(s.Seed).NotTo(BeNil(), "the seed is chosen and recorded")
		first, err := set.Select(s)
		Expect(err).NotTo(HaveOccurred())
		Expect(first).To(HaveLen(3))
		Expect(set.Select(s)).To(Equal(first), "same seed, same hosts")

		seen := map[string]bool{}
		for seed := int64(0); seed < 20; seed++ {
			got, err := sel(hosts.Selector{On: "hv-*", Percent: 25, Seed: &seed})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(5))
			Expect(got).To(Equal(sortedCopy(got)))
			seen[got[0]+got[1]+got[2]] = true
		}
		Expect(len(seen)).To(BeNumerically(">", 1), "different seeds pick differently")
	})

	It("draws like libvirt domain targets: seed 7, count 2 of hv-01..hv-20", func() {
		seed := int64(7)
		Expect(sel(hosts.Selector{On: "hv-*", Count: 2, Seed: &seed})).To(Equal(virtfaultPick(set.Groups["hypervisors"], 2, 7)))
	})

	It("names what is known when nothing matches", func() {
		_, err := sel(hosts.Selector{On: "hv-z"})
		Expect(err).To(MatchError(hosts.ErrNoHost))
		Expect(err).To(MatchError(ContainSubstring(`no host "hv-z" (hosts: client, hv-01`)))
		_, err = sel(hosts.Selector{On: "group:sans"})
		Expect(err).To(MatchError(ContainSubstring(`no group "sans" (groups: hypervisors)`)))
		_, err = sel(hosts.Selector{On: "db-*"})
		Expect(err).To(MatchError(ContainSubstring(`"db-*" matches no host`)))
	})

	It("refuses bad selectors", func() {
		Expect((&hosts.Selector{On: "hv-a", Count: 2}).Validate()).To(MatchError(ContainSubstring("need on: to be a glob")))
		Expect((&hosts.Selector{On: "hv-[", Count: 2}).Validate()).To(MatchError(ContainSubstring("bad glob")))
		Expect((&hosts.Selector{On: "hv-*", Count: 1, Percent: 5}).Validate()).To(MatchError(ContainSubstring("exclusive")))
		Expect((&hosts.Selector{On: "hv-*", Percent: 150}).Validate()).To(MatchError(ContainSubstring("0..100")))
		Expect((&hosts.Selector{}).Validate()).To(HaveOccurred())
	})

	It("describes itself with the seed", func() {
		seed := int64(42)
		Expect(hosts.Selector{On: "group:hypervisors", Count: 2, Seed: &seed}.String()).To(Equal("2 of hosts of group:hypervisors (seed 42)"))
	})
})

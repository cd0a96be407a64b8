package netfault_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
)

var _ = Describe("net.loss", Label("traffic"), func() {
	ctx := context.Background()

	// a (198.18.1.1) and b (198.18.1.2) on one veth; the fault sits in a.
	pair := func() (string, string) {
		a, b := testNetns("a"), testNetns("b")
		testVeth(a, "eth0", "198.18.1.1/24", b, "eth0", "198.18.1.2/24")
		return a, b
	}

	It("drops about the given share of packets to the set, and nothing after revert", func() {
		a, b := pair()
		tfTestForeignTable(a)
		before := tfTestRuleset(a)
		Expect(tfTestUDP(a, b, "198.18.1.2:7101", 400)).To(Equal(400))

		f := testFault("net.loss", map[string]any{"netns": a, "to": []string{"198.18.1.2"}, "percent": 50})
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(Succeed())
		undo, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestNftText(a)).To(ContainSubstring("numgen random mod 100 < 50"))

		got := tfTestUDP(a, b, "198.18.1.2:7102", 400)
		GinkgoWriter.Printf("net.loss 50%%: %d of 400 arrived\n", got)
		// Binomial(400, 0.5): mean 200, sd 10; the band is six sd wide each way.
		Expect(got).To(BeNumerically(">=", 140))
		Expect(got).To(BeNumerically("<=", 260))
		Expect(tfTestUDP(b, a, "198.18.1.1:7103", 200)).To(Equal(200), "the other direction is untouched")

		Expect(faults.RevertUndo(ctx, undo)).To(Succeed())
		Expect(tfTestRuleset(a)).To(Equal(before))
		Expect(tfTestUDP(a, b, "198.18.1.2:7104", 400)).To(Equal(400))
	})

	It("drops everything at 100 percent, and only from the given sources", func() {
		a, b := pair()
		f := testFault("net.loss", map[string]any{"netns": a, "to": []string{"198.18.1.0/24"}, "percent": 100})
		_, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(f.Revert(ctx)).To(Succeed()) })
		Expect(f.Inject(ctx)).To(Succeed())
		Expect(tfTestUDP(a, b, "198.18.1.2:7111", 200)).To(Equal(0))
		Expect(f.Revert(ctx)).To(Succeed())
		Expect(tfTestUDP(a, b, "198.18.1.2:7112", 200)).To(Equal(200))

		other := testFault("net.loss", map[string]any{"netns": a, "to": []string{"198.18.1.2"}, "from": []string{"198.18.1.99"}, "percent": 100})
		_, err = other.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(other.Revert(ctx)).To(Succeed()) })
		Expect(other.Inject(ctx)).To(Succeed())
		Expect(tfTestUDP(a, b, "198.18.1.2:7113", 200)).To(Equal(200), "a's address is not in from")
	})

	DescribeTable("rejects bad parameters",
		func(params string, msg string) {
			k, _ := faults.Lookup("net.loss")
			_, err := k.NewFault(json.RawMessage(params))
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("percent above 100", `{"to":["198.18.1.2"],"percent":101}`, "outside 0..100"),
		Entry("negative percent", `{"to":["198.18.1.2"],"percent":-1}`, "outside 0..100"),
		Entry("missing percent", `{"to":["198.18.1.2"]}`, "percent is required"),
		Entry("bad address", `{"to":["198.18.1.300"],"percent":5}`, "neither an address"),
	)
})

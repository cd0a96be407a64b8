package netfault_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// trustTamper rewrites fields of a link undo record's params.
func trustTamper(u faults.Undo, edit func(m map[string]any)) faults.Undo {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal(u.Params, &m)).To(Succeed())
	edit(m)
	b, err := json.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return faults.Undo{Kind: u.Kind, Params: b}
}

var _ = Describe("link and switch undo records read back from a journal", func() {
	var (
		ns, other string
		undo      faults.Undo
	)
	BeforeEach(func() {
		ns, other = testNetns("t"), testNetns("o")
		testVeth(ns, "a0", "198.18.101.1/30", other, "b0", "198.18.101.2/30")
		testVeth(ns, "a1", "", other, "b1", "")
		f := testFault("link.down", map[string]any{"netns": ns, "link": "a0"})
		var err error
		undo, err = f.Prepare(context.Background())
		Expect(err).NotTo(HaveOccurred())
		undo = linkTestJournal(undo)
		// The links are down, as a crashed run's cut leaves them.
		testRun("ip", "-n", ns, "link", "set", "a0", "down")
		testRun("ip", "-n", ns, "link", "set", "a1", "down")
	})

	It("are trusted as written by Prepare, and revert", func() {
		Expect(faults.TrustUndo(undo)).To(Succeed())
		Expect(faults.RevertUndo(context.Background(), undo)).To(Succeed())
		Expect(linkTestLinkUp(ns, "a0")).To(BeTrue())
	})

	It("are refused with inode 0, and the revert touches nothing", func() {
		bad := trustTamper(undo, func(m map[string]any) { m["inode"] = 0 })
		err := faults.TrustUndo(bad)
		Expect(err).To(MatchError(faults.ErrUntrusted))
		Expect(err).To(MatchError(ContainSubstring("inode: 0")))
		Expect(faults.RevertUndo(context.Background(), bad)).To(MatchError(faults.ErrUntrusted))
		Expect(linkTestLinkUp(ns, "a0")).To(BeFalse())
	})

	It("are refused when the snapshot is of another namespace than the fault names", func() {
		bad := trustTamper(undo, func(m map[string]any) { m["with"].(map[string]any)["netns"] = other })
		Expect(faults.TrustUndo(bad)).To(MatchError(ContainSubstring("snapshot of netns")))
		Expect(faults.RevertUndo(context.Background(), bad)).To(MatchError(faults.ErrUntrusted))
	})

	It("are refused when the snapshot restores a link the fault does not select", func() {
		bad := trustTamper(undo, func(m map[string]any) {
			before := m["before"].(map[string]any)
			links := before["links"].([]any)
			extra := map[string]any{"name": "a1", "index": 99, "type": "veth", "up": true}
			before["links"] = append(links, extra)
		})
		Expect(faults.TrustUndo(bad)).To(MatchError(ContainSubstring("a1, which the fault does not select")))
		Expect(faults.RevertUndo(context.Background(), bad)).To(MatchError(faults.ErrUntrusted))
		Expect(linkTestLinkUp(ns, "a1")).To(BeFalse())
		Expect(linkTestLinkUp(ns, "a0")).To(BeFalse())
	})

	It("revert only into the namespace of the recorded inode", func() {
		Expect(nsutil.Delete(ns)).To(Succeed())
		Expect(nsutil.Create(ns)).To(Succeed())
		testVeth(ns, "a0", "", other, "c0", "")
		testRun("ip", "-n", ns, "link", "set", "a0", "down")
		Expect(faults.TrustUndo(undo)).To(Succeed(), "trust is about the record; the revert checks the namespace")
		Expect(faults.RevertUndo(context.Background(), undo)).To(MatchError(faults.ErrNotFound))
		Expect(linkTestLinkUp(ns, "a0")).To(BeFalse())
	})
})

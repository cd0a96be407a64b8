package netfault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
)

var _ = Describe("nftables tables on the raw socket", Label("traffic"), func() {
	ctx := context.Background()
	var rc *nftRawConn
	var ns string
	nft := func(args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "nft"}, args...)...).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "nft %v: %s", args, out)
		return string(out)
	}
	BeforeEach(func() {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		ns = "fl-raw" + hex.EncodeToString(b)
		Expect(nsutil.Create(ns)).To(Succeed())
		DeferCleanup(func() { Expect(nsutil.Delete(ns)).To(Succeed()) })
		var err error
		rc, err = nftRawDial(ctx, ns)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(rc.Close)
	})

	It("creates marked tables all or none: a name someone holds fails the batch at once", func() {
		nft("add", "table", "inet", "faultline-b")
		before := nft("list", "ruleset")
		t0 := time.Now()
		err := rc.batch([]netlink.Message{
			nftCreateMsg(nftables.TableFamilyINet, "faultline-a", "faultline x"),
			nftCreateMsg(nftables.TableFamilyINet, "faultline-b", "faultline x"),
		})
		Expect(err).To(MatchError(unix.EEXIST))
		Expect(time.Since(t0)).To(BeNumerically("<", time.Second))
		Expect(nft("list", "ruleset")).To(Equal(before))

		Expect(rc.batch([]netlink.Message{nftCreateMsg(nftables.TableFamilyINet, "faultline-a", "faultline run=r step=s")})).To(Succeed())
		Expect(nft("list", "table", "inet", "faultline-a")).To(ContainSubstring(`comment "faultline run=r step=s"`))
		tabs, err := rc.tables("faultline-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(tabs).To(HaveLen(1))
		Expect(tabs[0].Comment).To(Equal("faultline run=r step=s"))
	})

	It("deletes by handle: a table replaced since it was listed is not hit", func() {
		Expect(rc.batch([]netlink.Message{nftCreateMsg(nftables.TableFamilyINet, "faultline-a", "faultline x")})).To(Succeed())
		old, err := rc.tables("faultline-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(old).To(HaveLen(1))
		nft("delete", "table", "inet", "faultline-a")
		nft("add", "table", "inet", "faultline-a", "{ chain input { type filter hook input priority 0; policy accept; tcp dport 22 accept; }; }")
		before := nft("list", "ruleset")
		Expect(rc.batch([]netlink.Message{nftDeleteMsg(old[0])})).To(MatchError(unix.ENOENT))
		Expect(nft("list", "ruleset")).To(Equal(before))
	})

	It("reads malformed userdata as no comment", func() {
		Expect(nftUdataString([]byte{0, 200, 'a'}, 0)).To(Equal(""))
		Expect(nftUdataString([]byte{1, 1, 'a', 0, 2, 'o', 0}, 0)).To(Equal("o"))
		Expect(nftUdataString(nil, 0)).To(Equal(""))
	})
})

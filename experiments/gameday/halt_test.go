package gameday_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/faultline/faultline/experiments/gameday"
	"github.com/faultline/faultline/internal/session"
)

var _ = Describe("serve while halted", Serial, func() {
	It("aborts the game day in progress within 1 s, skips scheduled runs until unhalt, and says so on /metrics and its page", func() {
		p := newPair()
		before := p.Snapshot()
		dir := GinkgoT().TempDir()
		state := GinkgoT().TempDir()
		gd := loadGD(dir, "version: 1\nname: halted\nexperiments: [long.yaml]\nschedule: \"* * * * * *\"\n",
			map[string]string{"long.yaml": p.expYAML("long", "5s", "10s", "")})
		history := filepath.Join(dir, "history")
		srv, err := gameday.NewServer(gd, gameday.ServeOptions{HistoryDir: history, StateDir: state,
			Logf: func(f string, a ...any) { GinkgoWriter.Printf(f+"\n", a...) }})
		Expect(err).NotTo(HaveOccurred())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		base := "http://" + ln.Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		stopped := false
		DeferCleanup(func() {
			if !stopped {
				cancel()
				Eventually(served, "10s").Should(Receive())
			}
		})

		Eventually(p.serverLinkDown, "6s", "5ms").Should(BeTrue(), "the scheduled run cut the NIC")
		start := time.Now()
		_, err = session.SetHalt(state, "game day halted by spec")
		Expect(err).NotTo(HaveOccurred())
		Eventually(p.serverLinkDown, "1s", "2ms").Should(BeFalse())
		GinkgoWriter.Printf("halt: the game day's experiment reverted in %s\n", time.Since(start))
		Expect(time.Since(start)).To(BeNumerically("<", time.Second))

		Eventually(func() int { return len(finishedRuns(history)) }, "5s", "20ms").Should(Equal(1))
		s := finishedRuns(history)[0].Summary
		Expect(s.Exit).To(Equal(3))
		Expect(s.Experiments[0].Status).To(Equal(gameday.StatusAborted))

		skipped := func() float64 {
			_, body := get(base + "/metrics")
			parser := expfmt.NewTextParser(model.UTF8Validation)
			fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
			Expect(err).NotTo(HaveOccurred(), body)
			v, _ := metricValue(fams, "faultline_gameday_skipped_total", map[string]string{"reason": "halted"})
			halted, ok := metricValue(fams, "faultline_gameday_halted", nil)
			Expect(ok).To(BeTrue())
			Expect(halted).To(Equal(1.0))
			return v
		}
		Eventually(skipped, "3s", "100ms").Should(BeNumerically(">=", 2))
		Consistently(p.serverLinkDown, "1500ms", "20ms").Should(BeFalse(), "nothing starts while halted")
		Expect(finishedRuns(history)).To(HaveLen(1))
		_, page := get(base + "/")
		Expect(page).To(And(ContainSubstring("HALTED"), ContainSubstring("game day halted by spec")))

		_, err = session.ClearHalt(state)
		Expect(err).NotTo(HaveOccurred())
		Eventually(p.serverLinkDown, "3s", "5ms").Should(BeTrue(), "runs again after unhalt")
		_, err = session.SetHalt(state, "end of spec")
		Expect(err).NotTo(HaveOccurred())
		Eventually(p.serverLinkDown, "1s", "2ms").Should(BeFalse())
		cancel()
		Eventually(served, "10s").Should(Receive())
		stopped = true
		expectSameSnapshots(before, p.Snapshot())
	})
})

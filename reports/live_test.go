package reports_test

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/reports"
)

// livePlan: cut at 1s for 2s, then an action 1s later, observe 3s; the
// method is planned to last until the cut's revert (3s) plus observe: 6s.
func livePlan() reports.LivePlan {
	return reports.LivePlan{
		Probes:  []string{"web", "db"},
		Steps:   []reports.LiveStep{{Name: "cut", At: time.Second, Length: 2 * time.Second}, {Name: "remap", At: 2 * time.Second, Action: true}},
		Observe: 3 * time.Second,
	}
}

var _ = Describe("live progress view", func() {
	var (
		out bytes.Buffer
		now time.Duration
	)
	view := func(tty bool) *reports.Live {
		out.Reset()
		p := reports.NewLive(&out, tty, 200, livePlan())
		p.SetClock(func() time.Duration { return now })
		return p
	}

	It("plans the method's length from the schedule", func() {
		p := view(true)
		Expect(p.Schedule()).To(Equal([]time.Duration{time.Second, 2 * time.Second}))
		Expect(p.MethodLen()).To(Equal(6 * time.Second))
	})

	It("shows the time, the method's bar, a timed step's bar and the current outage's length", func() {
		p := view(true)
		now = 500 * time.Millisecond
		p.Event(reports.LiveEvent{At: 400 * time.Millisecond, Kind: "phase", Msg: "waiting for the steady state"})
		Expect(p.StatusLines()[0]).To(ContainSubstring("waiting for the steady state"))
		p.Event(reports.LiveEvent{At: time.Second, Kind: "phase", Msg: "method started"})
		now = 1500 * time.Millisecond
		Expect(p.StatusLines()[0]).To(ContainSubstring("next cut in 0.500s"))
		p.Event(reports.LiveEvent{At: 2 * time.Second, Kind: "inject", Step: "cut", Msg: "link down"})
		p.Sample("web", probes.Sample{Start: 2000 * time.Millisecond, OK: true})
		p.Sample("web", probes.Sample{Start: 2100 * time.Millisecond, OK: false, Detail: "timeout"})
		p.Sample("web", probes.Sample{Start: 2200 * time.Millisecond, OK: false, Detail: "timeout"})
		now = 3 * time.Second
		st := p.StatusLines()
		Expect(st).To(HaveLen(2))
		Expect(st[0]).To(HavePrefix("T+3.0s"))
		Expect(st[0]).To(ContainSubstring("method [███████░░░░░░░░░░░░░]  33% 2.000s/6.000s"))
		Expect(st[0]).To(ContainSubstring("cut [█████░░░░░] 1.000s/2.000s"))
		// Down from the first failed sample's start until now, not until the last sample.
		Expect(st[1]).To(ContainSubstring("web DOWN 0.900s"))
		Expect(st[1]).To(ContainSubstring("db …"))

		p.Event(reports.LiveEvent{At: 3 * time.Second, Kind: "start", Step: "remap", Msg: "exec"})
		now = 3500 * time.Millisecond
		Expect(p.StatusLines()[0]).To(ContainSubstring("remap running 0.500s"))
		p.Event(reports.LiveEvent{At: 4 * time.Second, Kind: "revert", Step: "cut", Msg: "reverted"})
		p.Sample("web", probes.Sample{Start: 4010 * time.Millisecond, OK: true})
		now = 4100 * time.Millisecond
		st = p.StatusLines()
		Expect(st[0]).NotTo(ContainSubstring("cut ["))
		Expect(st[1]).To(ContainSubstring("web ok"))
		p.Event(reports.LiveEvent{At: 7 * time.Second, Kind: "phase", Msg: "waiting for the steady state to return"})
		now = 7500 * time.Millisecond
		Expect(p.StatusLines()[0]).To(ContainSubstring("method done in 6.000s │ waiting for the steady state to return: 0.500s"))

		// On a terminal the status block is redrawn in place under the events.
		s := out.String()
		Expect(s).To(ContainSubstring("\033[1A\r\033[K"))
		Expect(s).To(ContainSubstring("inject  cut: link down\n"))
	})

	It("cuts the status to the terminal's width", func() {
		p := view(true)
		p.SetWidth(30)
		for _, l := range p.StatusLines() {
			Expect(len([]rune(l))).To(BeNumerically("<=", 30))
		}
	})

	It("prints plain lines, with no escape codes, when not on a terminal", func() {
		p := view(false)
		p.Start()
		p.Event(reports.LiveEvent{At: 2 * time.Second, Kind: "inject", Step: "cut", Msg: "link down"})
		for i := 0; i < 30; i++ {
			p.Sample("web", probes.Sample{Start: time.Duration(2000+10*i) * time.Millisecond, OK: i == 0 || i > 20, Detail: "timeout"})
		}
		p.Stop()
		s := out.String()
		Expect(s).NotTo(ContainSubstring("\033"))
		Expect(strings.Split(strings.Trim(s, "\n"), "\n")).To(Equal([]string{
			"    2.000s  inject  cut: link down",
			"    2.110s  probe   web: down since 2.010s (timeout)",
			"    2.210s  probe   web: up after 200ms",
		}))
	})
})

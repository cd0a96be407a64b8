package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/probes"
	"github.com/faultline/faultline/reports"
)

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func faultsNames() []string { return faults.Names() }

// probeState is the live state of one probe.
type probeState struct {
	ok       bool
	seen     bool
	downFrom time.Duration
	last     time.Duration
	reported bool // the current outage has been printed
}

// progress is the live view of a run: on a terminal a status line redrawn
// in place under the event lines; otherwise one line per event.
type progress struct {
	w      io.Writer
	tty    bool
	plan   *engine.Plan
	mu     sync.Mutex
	probes map[string]*probeState
	order  []string
	step   string
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
}

func newProgress(w io.Writer, tty bool, plan *engine.Plan) *progress {
	p := &progress{w: w, tty: tty, plan: plan, probes: map[string]*probeState{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, pr := range plan.Probes {
		p.order = append(p.order, pr.Name)
		p.probes[pr.Name] = &probeState{}
	}
	return p
}

func (p *progress) Start() {
	p.start = time.Now()
	go func() {
		defer close(p.done)
		if !p.tty {
			<-p.stop
			return
		}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.mu.Lock()
				fmt.Fprint(p.w, "\r\033[K")
				p.mu.Unlock()
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprint(p.w, "\r\033[K"+p.statusLocked())
				p.mu.Unlock()
			}
		}
	}()
}

func (p *progress) Stop() { close(p.stop); <-p.done }

func (p *progress) statusLocked() string {
	var b strings.Builder
	fmt.Fprintf(&b, "T+%-7s", time.Since(p.start).Truncate(100*time.Millisecond))
	if p.step != "" {
		fmt.Fprintf(&b, " step %s", p.step)
	}
	for _, n := range p.order {
		s := p.probes[n]
		switch {
		case !s.seen:
			fmt.Fprintf(&b, " | %s …", n)
		case s.ok:
			fmt.Fprintf(&b, " | %s ok", n)
		default:
			fmt.Fprintf(&b, " | %s DOWN %s", n, (s.last - s.downFrom).Truncate(time.Millisecond))
		}
	}
	return b.String()
}

func (p *progress) Event(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Kind == "inject" || e.Kind == "start" {
		p.step = e.Step
	}
	line := fmt.Sprintf("%10s  %-7s", fmt.Sprintf("%.3fs", e.At.Seconds()), e.Kind)
	if e.Step != "" {
		line += " " + e.Step + ":"
	}
	line += " " + e.Msg
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(p.w, line)
}

// plainOutage is the shortest outage worth a line in the plain view.
const plainOutage = 100 * time.Millisecond

func (p *progress) Sample(probe string, s probes.Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.probes[probe]
	if st == nil {
		return
	}
	if !s.OK && (st.ok || !st.seen) {
		st.downFrom, st.reported = s.Start, false
	}
	if !p.tty && st.seen {
		switch {
		case !s.OK && !st.reported && s.Start-st.downFrom >= plainOutage:
			st.reported = true
			fmt.Fprintf(p.w, "%10s  probe   %s: down since %.3fs (%s)\n", fmt.Sprintf("%.3fs", s.Start.Seconds()), probe, st.downFrom.Seconds(), s.Detail)
		case s.OK && !st.ok && st.reported:
			fmt.Fprintf(p.w, "%10s  probe   %s: up after %s\n", fmt.Sprintf("%.3fs", s.Start.Seconds()), probe, (s.Start - st.downFrom).Truncate(time.Microsecond))
		}
	}
	st.ok, st.seen, st.last = s.OK, true, s.Start
}

// printVerdicts prints the verdict table at the end of a run.
func printVerdicts(w io.Writer, r *reports.Report) {
	fmt.Fprintln(w)
	width := 0
	for _, v := range r.Verdicts {
		if len(v.Name) > width {
			width = len(v.Name)
		}
	}
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Passed {
			mark = "FAIL"
		}
		line := fmt.Sprintf("  %s  %-*s  measured %-10s bound %s", mark, width, v.Name, v.Measured, v.Bound)
		if !v.Passed && v.Detail != "" {
			line += "  (" + v.Detail + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, p := range r.Probes {
		fmt.Fprintf(w, "  probe %-12s %d samples, availability %.3f%%, longest outage %.3fs, %d outages\n",
			p.Name, p.Samples, p.Availability, p.MaxOutage, len(p.Outages))
	}
	fmt.Fprintln(w, r.Headline())
}

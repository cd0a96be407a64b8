package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// termWidth is the terminal's width in columns (80 when unknown).
func termWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 80
	}
	return int(ws.Col)
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

// activeStep is a step between its inject (or start) and its revert (or done).
type activeStep struct {
	name   string
	at     time.Duration // run time it began
	length time.Duration // planned duration; 0 = held to the end, or an action
	action bool
}

// progress is the live view of a run (an engine.Observer). On a terminal
// it keeps a two-line status under the event lines, redrawn in place: run
// time, a progress bar of the method against the plan's schedule, the
// steps in progress (timed ones with their own bar) and each probe's state
// with the length of its current outage. Otherwise it prints one plain
// line per event and per outage.
type progress struct {
	w      io.Writer
	tty    bool
	width  int
	plan   *engine.Plan
	mu     sync.Mutex
	probes map[string]*probeState
	order  []string
	start  time.Time
	// skew turns wall time since start into run time (the engine's clock
	// starts a moment after the view's): fixed by the first event.
	skew        time.Duration
	skewSet     bool
	methodAt    time.Duration
	methodSeen  bool
	afterAt     time.Duration // the steady-state check after the method began
	afterSeen   bool
	methodLen   time.Duration // planned length of the method
	schedule    []time.Duration
	active      []activeStep
	finished    map[string]bool
	drawn       int // status lines on screen
	stop        chan struct{}
	done        chan struct{}
	nowOverride func() time.Duration // tests
}

func newProgress(w io.Writer, tty bool, plan *engine.Plan) *progress {
	p := &progress{w: w, tty: tty, width: 100, plan: plan, probes: map[string]*probeState{},
		finished: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	if f, ok := w.(*os.File); ok && tty {
		p.width = termWidth(f)
	}
	for _, pr := range plan.Probes {
		p.order = append(p.order, pr.Name)
		p.probes[pr.Name] = &probeState{}
	}
	p.schedule = plan.Schedule()
	p.methodLen = plannedMethod(plan, p.schedule)
	p.start = time.Now()
	return p
}

// plannedMethod is how long the method lasts if every step starts on
// time: observe runs after the last step has started and every timed
// fault has been reverted (actions may take longer; the bar then waits at
// 99%).
func plannedMethod(plan *engine.Plan, sched []time.Duration) time.Duration {
	var end time.Duration
	for i, s := range plan.Steps {
		end = max(end, sched[i])
		if d := s.Step.Duration.D(); d > 0 && s.Step.Fault != "" {
			end = max(end, sched[i]+d)
		}
	}
	if plan.Exp != nil {
		end += plan.Exp.Observe.D()
	}
	return end
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
				p.clearLocked()
				p.mu.Unlock()
				return
			case <-t.C:
				p.mu.Lock()
				p.redrawLocked()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *progress) Stop() { close(p.stop); <-p.done }

// now is the current run time.
func (p *progress) now() time.Duration {
	if p.nowOverride != nil {
		return p.nowOverride()
	}
	return time.Since(p.start) - p.skew
}

func (p *progress) clearLocked() {
	for i := 0; i < p.drawn; i++ {
		if i > 0 {
			fmt.Fprint(p.w, "\033[1A")
		}
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.drawn = 0
}

func (p *progress) redrawLocked() {
	p.clearLocked()
	lines := p.statusLocked()
	fmt.Fprint(p.w, strings.Join(lines, "\n"))
	p.drawn = len(lines)
}

// statusLocked is the status block: the clock, the method's bar and the
// steps in progress on the first line, the probes on the second.
func (p *progress) statusLocked() []string {
	now := p.now()
	var l1 strings.Builder
	fmt.Fprintf(&l1, "T+%-6s", fmt.Sprintf("%.1fs", now.Seconds()))
	switch {
	case !p.methodSeen:
		l1.WriteString(" waiting for the steady state")
	case p.afterSeen:
		fmt.Fprintf(&l1, " method done in %s │ waiting for the steady state to return: %s", short(p.afterAt-p.methodAt), short(now-p.afterAt))
	default:
		m := now - p.methodAt
		if p.methodLen > 0 {
			frac := float64(m) / float64(p.methodLen)
			fmt.Fprintf(&l1, " method %s %3.0f%% %s/%s", bar(frac, 20), 100*min(frac, 0.99), short(m), short(p.methodLen))
		} else {
			fmt.Fprintf(&l1, " method %s", short(m))
		}
		for _, a := range p.active {
			el := now - a.at
			switch {
			case a.length > 0:
				fmt.Fprintf(&l1, " │ %s %s %s/%s", a.name, bar(float64(el)/float64(a.length), 10), short(el), short(a.length))
			case a.action:
				fmt.Fprintf(&l1, " │ %s running %s", a.name, short(el))
			default:
				fmt.Fprintf(&l1, " │ %s held %s", a.name, short(el))
			}
		}
		if next, in, ok := p.nextStepLocked(m); ok && len(p.active) == 0 {
			fmt.Fprintf(&l1, " │ next %s in %s", next, short(in))
		}
	}
	var l2 strings.Builder
	l2.WriteString("  probes:")
	for _, n := range p.order {
		s := p.probes[n]
		switch {
		case !s.seen:
			fmt.Fprintf(&l2, " %s …", n)
		case s.ok:
			fmt.Fprintf(&l2, " %s ok", n)
		default:
			fmt.Fprintf(&l2, " %s DOWN %s", n, short(max(now, s.last)-s.downFrom))
		}
		l2.WriteString(" ")
	}
	return []string{fit(l1.String(), p.width), fit(strings.TrimRight(l2.String(), " "), p.width)}
}

// nextStepLocked is the next planned step that has not begun, and how
// long until its scheduled time (m is the time since the method start).
func (p *progress) nextStepLocked(m time.Duration) (string, time.Duration, bool) {
	for i, s := range p.plan.Steps {
		if p.finished[s.Step.Name] || p.isActiveLocked(s.Step.Name) {
			continue
		}
		return s.Step.Name, max(p.schedule[i]-m, 0), true
	}
	return "", 0, false
}

func (p *progress) isActiveLocked(name string) bool {
	for _, a := range p.active {
		if a.name == name {
			return true
		}
	}
	return false
}

// bar draws a progress bar of width cells for frac (clamped to 0..1).
func bar(frac float64, width int) string {
	frac = max(0, min(frac, 1))
	full := int(frac*float64(width) + 0.5)
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

// short formats a duration to the millisecond below 10s, else to 0.1s.
func short(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%.3fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// fit cuts s to width columns (runes; the bar's blocks are one column).
func fit(s string, width int) string {
	if width <= 1 || utf8.RuneCountInString(s) < width {
		return s
	}
	r := []rune(s)
	return string(r[:width-2]) + "…"
}

func (p *progress) stepLength(name string) (time.Duration, bool) {
	for _, s := range p.plan.Steps {
		if s.Step.Name == name {
			if s.Action != nil || s.Step.Action != "" {
				return 0, true
			}
			return s.Step.Duration.D(), false
		}
	}
	return 0, false
}

func (p *progress) Event(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.skewSet && p.nowOverride == nil {
		p.skew, p.skewSet = time.Since(p.start)-e.At, true
	}
	switch e.Kind {
	case "phase":
		switch {
		case strings.HasPrefix(e.Msg, "method started"):
			p.methodAt, p.methodSeen = e.At, true
		case strings.HasPrefix(e.Msg, "waiting for the steady state to return"):
			p.afterAt, p.afterSeen = e.At, true
		}
	case "inject", "start":
		if !p.isActiveLocked(e.Step) {
			length, action := p.stepLength(e.Step)
			p.active = append(p.active, activeStep{name: e.Step, at: e.At, length: length, action: action})
		}
	case "revert", "done", "fail":
		p.finished[e.Step] = true
		for i, a := range p.active {
			if a.name == e.Step {
				p.active = append(p.active[:i], p.active[i+1:]...)
				break
			}
		}
	}
	line := fmt.Sprintf("%10s  %-7s", fmt.Sprintf("%.3fs", e.At.Seconds()), e.Kind)
	if e.Step != "" {
		line += " " + e.Step + ":"
	}
	line += " " + e.Msg
	if p.tty {
		p.clearLocked()
	}
	fmt.Fprintln(p.w, line)
	if p.tty {
		p.redrawLocked()
	}
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
			p.Name, p.Samples, p.Availability, p.MaxOutage, p.OutageCount)
	}
	fmt.Fprintln(w, r.Headline())
}

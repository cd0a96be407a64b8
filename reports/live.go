package reports

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/faultline/faultline/internal/probes"
)

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

// Live is the live view of a run (cmd hands it the engine's events and
// samples). On a terminal
// it keeps a two-line status under the event lines, redrawn in place: run
// time, a progress bar of the method against the plan's schedule, the
// steps in progress (timed ones with their own bar) and each probe's state
// with the length of its current outage. Otherwise it prints one plain
// line per event and per outage.
type Live struct {
	w      io.Writer
	tty    bool
	width  int
	plan   LivePlan
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

// LivePlan is what the live view needs of a plan.
type LivePlan struct {
	Probes []string
	Steps  []LiveStep
	// Observe is how long probing goes on after the last step.
	Observe time.Duration
}

// LiveStep is one planned step: its scheduled offset from the method
// start (if every step starts on time) and, for a fault, how long it is held.
type LiveStep struct {
	Name   string
	At     time.Duration
	Length time.Duration // 0 = held to the end, or an action
	Action bool
}

// NewLive makes the live view of plan, writing to w; tty redraws a status
// block in place, width columns wide (0: 100).
func NewLive(w io.Writer, tty bool, width int, plan LivePlan) *Live {
	if width <= 0 {
		width = 100
	}
	p := &Live{w: w, tty: tty, width: width, plan: plan, probes: map[string]*probeState{},
		finished: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, name := range plan.Probes {
		p.order = append(p.order, name)
		p.probes[name] = &probeState{}
	}
	for _, s := range plan.Steps {
		p.schedule = append(p.schedule, s.At)
	}
	p.methodLen = plannedMethod(plan)
	p.start = time.Now()
	return p
}

// plannedMethod is how long the method lasts if every step starts on
// time: observe runs after the last step has started and every timed
// fault has been reverted (actions may take longer; the bar then waits at
// 99%).
func plannedMethod(plan LivePlan) time.Duration {
	var end time.Duration
	for _, s := range plan.Steps {
		end = max(end, s.At)
		if s.Length > 0 && !s.Action {
			end = max(end, s.At+s.Length)
		}
	}
	return end + plan.Observe
}

// Start begins redrawing (on a terminal).
func (p *Live) Start() {
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

// Stop clears the status block and stops redrawing.
func (p *Live) Stop() { close(p.stop); <-p.done }

// now is the current run time.
func (p *Live) now() time.Duration {
	if p.nowOverride != nil {
		return p.nowOverride()
	}
	return time.Since(p.start) - p.skew
}

func (p *Live) clearLocked() {
	for i := 0; i < p.drawn; i++ {
		if i > 0 {
			fmt.Fprint(p.w, "\033[1A")
		}
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.drawn = 0
}

func (p *Live) redrawLocked() {
	p.clearLocked()
	lines := p.statusLocked()
	fmt.Fprint(p.w, strings.Join(lines, "\n"))
	p.drawn = len(lines)
}

// statusLocked is the status block: the clock, the method's bar and the
// steps in progress on the first line, the probes on the second.
func (p *Live) statusLocked() []string {
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
func (p *Live) nextStepLocked(m time.Duration) (string, time.Duration, bool) {
	for i, s := range p.plan.Steps {
		if p.finished[s.Name] || p.isActiveLocked(s.Name) {
			continue
		}
		return s.Name, max(p.schedule[i]-m, 0), true
	}
	return "", 0, false
}

func (p *Live) isActiveLocked(name string) bool {
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

func (p *Live) stepLength(name string) (time.Duration, bool) {
	for _, s := range p.plan.Steps {
		if s.Name == name {
			if s.Action {
				return 0, true
			}
			return s.Length, false
		}
	}
	return 0, false
}

// LiveEvent is something that happened in the run (the engine's events).
type LiveEvent struct {
	At   time.Duration
	Kind string // phase, inject, revert, start, done, fail, abort, info
	Step string
	Msg  string
}

// Event shows an event line (and updates the status block).
func (p *Live) Event(e LiveEvent) {
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

// Sample updates a probe's state; safe for concurrent use.
func (p *Live) Sample(probe string, s probes.Sample) {
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

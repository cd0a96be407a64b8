package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/probes"
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

// progress hands the engine's events and samples to the live view in reports.
type progress struct{ *reports.Live }

func newProgress(w io.Writer, tty bool, plan *engine.Plan) progress {
	width := 0
	if f, ok := w.(*os.File); ok && tty {
		width = termWidth(f)
	}
	return progress{reports.NewLive(w, tty, width, livePlan(plan))}
}

// livePlan is what the live view needs of a plan.
func livePlan(plan *engine.Plan) reports.LivePlan {
	lp := reports.LivePlan{}
	for _, pr := range plan.Probes {
		lp.Probes = append(lp.Probes, pr.Name)
	}
	sched := plan.Schedule()
	for i, s := range plan.Steps {
		action := s.Action != nil || s.Step.Action != ""
		lp.Steps = append(lp.Steps, reports.LiveStep{Name: s.Step.Name, At: sched[i], Length: s.Step.Duration.D(), Action: action})
	}
	if plan.Exp != nil {
		lp.Observe = plan.Exp.Observe.D()
	}
	return lp
}

func (p progress) Event(e engine.Event) {
	p.Live.Event(reports.LiveEvent{At: e.At, Kind: e.Kind, Step: e.Step, Msg: e.Msg})
}

func (p progress) Sample(probe string, s probes.Sample) { p.Live.Sample(probe, s) }

func printVerdicts(w io.Writer, r *reports.Report) { reports.WriteVerdicts(w, r) }

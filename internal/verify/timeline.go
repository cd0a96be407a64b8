package verify

import "github.com/faultline/faultline/internal/journal"

// TimelineOf rebuilds a run's Timeline from its journal: which phase
// bounds which window, where an unfinished run ends, which revert counts
// (not the ones recover or the guard made after the run) are rules of
// verify's, kept beside the windows they define.
func TimelineOf(r *journal.Run) Timeline {
	tl := Timeline{Steps: map[string]StepTimes{}, Samples: r.Samples}
	tl.MethodStart = r.Phases[journal.PhaseMethod]
	tl.MethodEnd = r.Phases[journal.PhaseMethodEnd]
	end, ok := r.Phases[journal.PhaseEnd]
	if !ok {
		// A run that did not finish: the end is the last thing it recorded.
		for _, ss := range r.Samples {
			if n := len(ss); n > 0 && ss[n-1].Start > end {
				end = ss[n-1].Start
			}
		}
		for _, s := range r.Steps {
			if s.At > end {
				end = s.At
			}
		}
	}
	tl.End = end
	if tl.MethodEnd == 0 {
		tl.MethodEnd = end
	}
	if t, ok := r.Phases[journal.PhaseSteadyBefore]; ok {
		tl.SteadyBefore = Phase{From: t, To: tl.MethodStart}
		if _, ok := r.Phases[journal.PhaseMethod]; !ok {
			tl.SteadyBefore.To = end
		}
	}
	if t, ok := r.Phases[journal.PhaseSteadyAfter]; ok {
		tl.SteadyAfter = Phase{From: t, To: end}
	}
	for _, s := range r.Steps {
		st := tl.Steps[s.Step]
		switch s.Ev {
		case journal.EvInjected, journal.EvStarted:
			if !st.Injected {
				st.Injected, st.Inject, st.InjectDone = true, s.At, s.Done
			}
		case journal.EvReverted:
			if !st.Reverted && s.By != "recover" && s.By != "guard" {
				st.Reverted, st.Revert = true, s.At
			}
		case journal.EvDone:
			if !st.Reverted {
				st.Reverted, st.Revert = true, s.At
			}
		case journal.EvFailed:
			st.Failed, st.Error = true, s.Error
		case journal.EvPrepared:
		}
		tl.Steps[s.Step] = st
	}
	return tl
}

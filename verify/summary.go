package verify

import (
	"fmt"
	"strings"
)

// Passed reports whether every verdict held (true for none).
func Passed(verdicts []Verdict) bool {
	for i := range verdicts {
		if !verdicts[i].Passed {
			return false
		}
	}
	return true
}

// Summary counts verdicts for a report's headline and the exit code.
type Summary struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// FailedNames lists the failed verdicts' names in order.
	FailedNames []string `json:"failedNames,omitempty"`
	// SteadyBeforeFailed: the steady state did not hold before the method
	// (the run aborts and injects nothing; exit code 3).
	SteadyBeforeFailed bool `json:"steadyBeforeFailed,omitempty"`
}

// Summarize counts the verdicts.
func Summarize(verdicts []Verdict) Summary {
	s := Summary{Total: len(verdicts)}
	for _, v := range verdicts {
		if v.Passed {
			s.Passed++
			continue
		}
		s.Failed++
		s.FailedNames = append(s.FailedNames, v.Name)
		if v.Kind == KindSteadyState && strings.HasPrefix(v.Name, "steady state before:") {
			s.SteadyBeforeFailed = true
		}
	}
	return s
}

// AllPassed mirrors Passed for a summary.
func (s Summary) AllPassed() bool { return s.Failed == 0 }

// String is the headline: "7 of 8 verifications held; failed: web maxOutage".
func (s Summary) String() string {
	h := fmt.Sprintf("%d of %d verifications held", s.Passed, s.Total)
	if s.Failed > 0 {
		h += "; failed: " + strings.Join(s.FailedNames, ", ")
	}
	return h
}

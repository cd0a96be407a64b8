package experiments

import (
	"fmt"
	"strings"
)

// latencyKeys are the percentiles a latency assertion may bound.
var latencyKeys = []string{"p50", "p90", "p95", "p99", "p99.9", "max"}

func (v *validator) verify(i int, f Verify, steps map[string]bool) {
	p := fmt.Sprintf("verify[%d]", i)
	v.probeRef(p+".probe", f.Probe)
	var set []string
	for _, k := range []struct {
		name string
		on   bool
	}{
		{"availability", f.Availability != ""},
		{"maxOutage", f.MaxOutage != nil},
		{"reaches", f.Reaches != ""},
		{"latency", f.Latency != nil},
		{"never", f.Never != ""},
		{"entered", f.Entered != ""},
	} {
		if v.written(p+"."+k.name, k.on) {
			set = append(set, k.name)
		}
	}
	switch len(set) {
	case 0:
		v.errf(p, "set one of availability, maxOutage, reaches, latency, never, entered")
	case 1:
	default:
		v.errf(p+"."+set[1], "set only one of availability, maxOutage, reaches, latency, never, entered (got %s)", strings.Join(set, ", "))
	}
	reaches := v.written(p+".reaches", f.Reaches != "")
	if v.written(p+".availability", f.Availability != "") {
		if c, err := ParseComparison(f.Availability); err != nil {
			v.errf(p+".availability", "%v", err)
		} else if c.Unit != "%" {
			v.errf(p+".availability", "bad availability %q: want a percentage, e.g. \">= 99.5%%\"", f.Availability)
		}
	}
	if reaches {
		v.reaches(p, f)
	} else {
		if v.written(p+".within", f.Within != nil) {
			v.errf(p+".within", "only with reaches")
		}
		if v.written(p+".after", f.After != "") {
			v.errf(p+".after", "only with reaches (use during for a window)")
		}
	}
	if f.Latency != nil {
		v.latency(p+".latency", *f.Latency)
	}
	v.entered(p, f) // validate_entered.go
	if v.written(p+".never", f.Never != "") && f.Never != "ok" {
		v.errf(p+".never", "bad never %q: the only value is ok", f.Never)
	}
	if v.written(p+".during", f.During != "") {
		switch {
		case reaches:
			v.errf(p+".during", "not with reaches: it is measured from after")
		case !steps[f.During]:
			v.errf(p+".during", "unknown step %q%s", f.During, knownSteps(v.exp))
		}
	}
}

func (v *validator) reaches(p string, f Verify) {
	if f.Reaches != "ok" {
		c, err := ParseComparison(f.Reaches)
		switch {
		case err != nil:
			v.errf(p+".reaches", "want ok or a comparison such as \">= 2\": %v", err)
		case c.Unit != "":
			v.errf(p+".reaches", "bad reaches %q: compare the probe's value with a plain number, e.g. \">= 2\"", f.Reaches)
		}
	}
	if !v.written(p+".within", f.Within != nil) {
		v.errf(p+".within", "missing: reaches needs within (the deadline after `after`)")
	}
	if !v.written(p+".after", f.After != "") {
		v.errf(p+".after", "missing: reaches needs after: STEP or STEP.end")
		return
	}
	step := strings.TrimSuffix(f.After, ".end")
	if !v.stepExists(step) {
		v.errf(p+".after", "unknown step %q: want STEP or STEP.end%s", step, knownSteps(v.exp))
	}
}

func (v *validator) stepExists(name string) bool {
	for _, s := range v.exp.Steps {
		if s != nil && s.Name == name {
			return true
		}
	}
	return false
}

func knownSteps(e *Experiment) string {
	var names []string
	for _, s := range e.Steps {
		if s != nil && s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return known(names)
}

func (v *validator) latency(p string, l Latency) {
	if len(l) == 0 {
		v.errf(p, "bound at least one of %s", strings.Join(latencyKeys, ", "))
	}
	for _, k := range sortedKeys(l) {
		kp := joinPath(p, k)
		if !isLatencyKey(k) {
			v.keyErrf(kp, "unknown percentile %q: want one of %s", k, strings.Join(latencyKeys, ", "))
			continue
		}
		c, err := ParseComparison(l[k])
		switch {
		case err != nil:
			v.errf(kp, "%v", err)
		case c.Unit != "s":
			v.errf(kp, "bad latency bound %q: want a duration, e.g. \"< 200ms\"", l[k])
		}
	}
}

func isLatencyKey(k string) bool {
	for _, l := range latencyKeys {
		if k == l {
			return true
		}
	}
	return false
}

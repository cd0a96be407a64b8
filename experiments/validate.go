package experiments

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/strictyaml"
)

// Validate checks the semantics of an experiment built in code (Parse
// already does this for files). Errors carry the lines recorded in Step,
// Verify and SteadyState when there are any.
func (e *Experiment) Validate() error {
	errs := &ErrorList{}
	v := &validator{file: e.File, errs: errs, exp: e}
	v.run()
	if errs.Err() == nil {
		e.addAbortProbes()
	}
	return errs.Err()
}

// validator runs the semantic rules of the format. With the decoded
// document it knows where every field was written, which fields were
// written at all (so that "every: 0" differs from no every), and which
// failed to decode (those get no second error).
type validator struct {
	file string
	errs *ErrorList
	exp  *Experiment
	doc  *strictyaml.Doc // nil for experiments built in code
}

var lineOwner = regexp.MustCompile(`^(steps|verify|steadyState)\[(\d+)\]`)

// at finds the position of a field, or of its nearest written ancestor.
func (v *validator) at(path string) strictyaml.Pos {
	if v.doc == nil {
		return v.lineOf(path)
	}
	return v.doc.At(path)
}

// lineOf recovers a line from the Line fields of an experiment built in code.
func (v *validator) lineOf(path string) strictyaml.Pos {
	m := lineOwner.FindStringSubmatch(path)
	if m == nil {
		return strictyaml.Pos{}
	}
	i, _ := strconv.Atoi(m[2])
	e := v.exp
	switch m[1] {
	case "steps":
		if i < len(e.Steps) && e.Steps[i] != nil {
			return strictyaml.Pos{Line: e.Steps[i].Line}
		}
	case "verify":
		if i < len(e.Verify) {
			return strictyaml.Pos{Line: e.Verify[i].Line}
		}
	case "steadyState":
		if i < len(e.SteadyState) {
			return strictyaml.Pos{Line: e.SteadyState[i].Line}
		}
	}
	return strictyaml.Pos{}
}

// written reports whether the file set the field; for experiments built in
// code, whether the value is not zero.
func (v *validator) written(path string, nonZero bool) bool {
	if v.doc == nil {
		return nonZero
	}
	return v.doc.Written(path) || nonZero
}

// failed reports whether the field or one of its ancestors did not decode.
func (v *validator) failed(path string) bool {
	return v.doc != nil && v.doc.Failed(path)
}

func (v *validator) errf(path, format string, args ...any) {
	v.report(v.at(path), path, format, args...)
}

// keyErrf reports at a map entry's key (a probe's name, a latency key).
func (v *validator) keyErrf(path, format string, args ...any) {
	p := v.at(path)
	if v.doc != nil {
		p = v.doc.KeyAt(path)
	}
	v.report(p, path, format, args...)
}

func (v *validator) report(p strictyaml.Pos, path, format string, args ...any) {
	if v.failed(path) {
		return
	}
	v.errs.Add(FieldError{File: v.file, Line: p.Line, Column: p.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
}

var (
	experimentName = regexp.MustCompile(`^[a-z0-9-]+$`)
	stepName       = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

func (v *validator) run() {
	e := v.exp
	switch {
	case !v.written("version", e.Version != 0):
		v.errf("version", "missing: write version: 1")
	case e.Version != 1:
		v.errf("version", "unsupported version %d: this faultline reads version 1", e.Version)
	}
	switch {
	case !v.written("name", e.Name != ""):
		v.errf("name", "missing: name the experiment ([a-z0-9-])")
	case !experimentName.MatchString(e.Name):
		v.errf("name", "bad name %q: use only a-z, 0-9 and -", e.Name)
	}
	v.outOfBand() // bmc.power and bmc `on:` a host: its BMC settings (outofband.go)
	v.probes()
	v.hosts()
	v.runOutOfBandHere()
	for i, s := range e.SteadyState {
		v.steadyState(i, s)
	}
	steps := v.steps()
	for i, vf := range e.Verify {
		v.verify(i, vf, steps)
	}
	for i, a := range e.AbortWhen {
		v.abortWhen(i, a)
	}
	if e.Safety.MaxTargets < 0 {
		v.errf("safety.maxTargets", "must not be negative, got %d", e.Safety.MaxTargets)
	}
	if len(e.Steps) == 0 && len(e.Verify) == 0 && len(v.errs.Errors) == 0 {
		// It would "pass" with 0 of 0 verifications having proven nothing.
		// (Said only of a file that is otherwise valid: one with errors
		// is refused already.)
		v.errf("steps", "nothing to run and nothing to check: write steps (a method) or verify (what must hold), or both")
	}
}

// probeRef checks a reference to a probe by name.
func (v *validator) probeRef(path, name string) {
	if !v.written(path, name != "") {
		v.errf(path, "missing: name a probe")
		return
	}
	if _, ok := v.exp.Probes[name]; !ok {
		v.errf(path, "unknown probe %q%s", name, known(v.probeNames()))
	}
}

func (v *validator) probeNames() []string {
	if v.exp.ProbeOrder != nil {
		return v.exp.ProbeOrder
	}
	return sortedKeys(v.exp.Probes)
}

func known(names []string) string {
	if len(names) == 0 {
		return " (none defined)"
	}
	return " (defined: " + strings.Join(names, ", ") + ")"
}

func (v *validator) steadyState(i int, s SteadyState) {
	p := fmt.Sprintf("steadyState[%d]", i)
	v.probeRef(p+".probe", s.Probe)
	if s.For <= 0 {
		v.errf(p+".for", "must be longer than 0: how long the probe must be ok, e.g. 2s")
	}
}

func (v *validator) abortWhen(i int, a AbortWhen) {
	p := fmt.Sprintf("abortWhen[%d]", i)
	v.abortTarget(p, i, a)
	outage := v.written(p+".outageLongerThan", a.OutageLongerThan != nil)
	below := v.written(p+".availabilityBelow", a.AvailabilityBelow != "")
	held := v.abortFor(p, a)
	switch n := btoi(outage) + btoi(below) + btoi(held); {
	case n > 1:
		v.errf(p+".availabilityBelow", "set only one of outageLongerThan, availabilityBelow, for")
	case n == 0:
		v.errf(p, "set one of outageLongerThan, availabilityBelow, for")
	}
	if below {
		if _, err := ParsePercent(a.AvailabilityBelow); err != nil {
			v.errf(p+".availabilityBelow", "%v", err)
		}
	}
	if v.written(p+".window", a.Window != nil) {
		switch {
		case !below:
			v.errf(p+".window", "only with availabilityBelow")
		case a.Window != nil && a.Window.D() <= 0:
			v.errf(p+".window", "must be longer than 0")
		}
	}
}

// checkDurationAtLeast reports a written duration below min.
func (v *validator) checkDurationAtLeast(path string, d Duration, min time.Duration) {
	if v.written(path, d != 0) && d.D() < min {
		v.errf(path, "must be at least %s, got %s", min, d)
	}
}

package experiments

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/nsutil/nsname"
	"github.com/faultline/faultline/internal/probes"
)

func (v *validator) probes() {
	for _, name := range v.probeNames() {
		p := v.exp.Probes[name]
		fp := joinPath("probes", name)
		if name == "" {
			v.keyErrf(fp, "a probe needs a name")
		}
		if p == nil {
			v.keyErrf(fp, "empty probe: set one of %s", strings.Join(probes.Names(), ", "))
			continue
		}
		v.probe(fp, p)
	}
}

func (v *validator) probe(fp string, p *Probe) {
	k, ok := v.inline(fp, p.Inline)
	min := probes.MinEvery
	if ok && k.MinEvery > min {
		min = k.MinEvery
	}
	v.checkDurationAtLeast(fp+".every", p.Every, min)
	v.netns(fp+".netns", p.Netns)
}

func (v *validator) netns(path, ns string) {
	if v.written(path, ns != "") {
		if err := nsname.Validate(ns); err != nil {
			v.errf(path, "%v", err)
		}
	}
}

// inline checks a probe kind written as a key of its own: the kind is
// registered, and its constructor (which touches nothing) accepts the
// parameters. Its errors point at the parameter they name.
func (v *validator) inline(fp string, in Inline) (probes.Kind, bool) {
	if in.Kind == "" {
		v.keyErrf(fp, "set one probe kind: %s", strings.Join(probes.Names(), ", "))
		return probes.Kind{}, false
	}
	kp := fp + "." + in.Kind
	k, ok := probes.Lookup(in.Kind)
	if !ok {
		v.keyErrf(kp, "unknown probe kind %q (known: %s)", in.Kind, strings.Join(probes.Names(), ", "))
		return k, false
	}
	if v.failed(kp) {
		return k, true
	}
	if err := newProber(k, inlineDef("", in, 0, "")); err != nil {
		var pe *probes.ParamError
		switch {
		case errors.As(err, &pe) && pe.Param != "" && pe.Unknown:
			v.keyErrf(kp+"."+pe.Param, "%s", pe.Msg)
		case errors.As(err, &pe) && pe.Param != "":
			v.errf(kp+"."+pe.Param, "%s", pe.Msg)
		case errors.As(err, &pe):
			v.errf(kp, "%s", pe.Msg)
		default:
			v.errf(kp, "%v", err)
		}
	}
	return k, true
}

// newProber calls the kind's constructor, turning a panic in it into an error.
func newProber(k probes.Kind, d probes.Def) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s rejected its parameters: %v", k.Name, r)
		}
	}()
	_, err = k.New(d)
	return err
}

// abortTarget checks what abortWhen[i] watches: a probe by name, or a
// probe kind written inline (which Load names abortProbeName(i)).
func (v *validator) abortTarget(p string, i int, a AbortWhen) {
	if a.Kind == "" {
		v.probeRef(p+".probe", a.Probe)
		for _, f := range []struct {
			name string
			set  bool
		}{{"every", a.Every != 0}, {"netns", a.Netns != ""}} {
			if v.written(p+"."+f.name, f.set) {
				v.errf(p+"."+f.name, "only with a probe kind written here (e.g. prometheus: {url, query})")
			}
		}
		return
	}
	if v.written(p+".probe", a.Probe != "") && a.Probe != abortProbeName(i) {
		v.errf(p+".probe", "set only one of probe and a probe kind (%s)", a.Kind)
	}
	k, ok := v.inline(p, a.Inline)
	min := probes.MinEvery
	if ok && k.MinEvery > min {
		min = k.MinEvery
	}
	v.checkDurationAtLeast(p+".every", a.Every, min)
	v.netns(p+".netns", a.Netns)
}

func joinIndex(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

// abortFor checks `for` (abort once the condition has held this long).
func (v *validator) abortFor(p string, a AbortWhen) bool {
	if !v.written(p+".for", a.For != nil) {
		return false
	}
	if a.For != nil && a.For.D() <= 0 {
		v.errf(p+".for", "must be longer than 0: how long the condition must hold, e.g. 30s")
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

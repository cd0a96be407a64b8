package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/strictyaml"
)

// steps checks the method and returns the step names, for verify windows.
func (v *validator) steps() map[string]bool {
	names := map[string]bool{}
	first := map[string]strictyaml.Pos{}
	for i, s := range v.exp.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		if s == nil {
			v.errf(p, "empty step")
			continue
		}
		switch {
		case !v.written(p+".name", s.Name != ""):
			v.errf(p+".name", "missing: every step needs a name")
		case !stepName.MatchString(s.Name):
			v.errf(p+".name", "bad step name %q: use A-Z, a-z, 0-9, _ and - (verify refers to NAME and NAME.end)", s.Name)
		case names[s.Name]:
			v.errf(p+".name", "duplicate step name %q (first at line %d)", s.Name, first[s.Name].Line)
		default:
			names[s.Name] = true
			first[s.Name] = v.at(p)
		}
		v.step(p, s)
	}
	return names
}

func (v *validator) step(p string, s *Step) {
	isFault := v.written(p+".fault", s.Fault != "")
	isAction := v.written(p+".action", s.Action != "")
	switch {
	case isFault && isAction:
		v.errf(p+".action", "set only one of fault, action")
	case !isFault && !isAction:
		v.errf(p, "set one of fault (something to break and revert) or action (a runbook step)")
	case isFault:
		v.kind(p, "fault", s)
	default:
		v.kind(p, "action", s)
	}
	if v.written(p+".revert", s.Revert != "") {
		switch {
		case s.Revert != "auto" && s.Revert != "never":
			v.errf(p+".revert", "bad revert %q: want auto or never", s.Revert)
		case isAction && !isFault:
			v.errf(p+".revert", "only for faults: an action is not reverted")
		}
	}
	if v.written(p+".at", s.At != nil) && v.written(p+".wait", s.Wait != 0) {
		v.errf(p+".wait", "set at most one of at (offset from the start) and wait (after the previous step)")
	}
	if isAction && !isFault && v.written(p+".duration", s.Duration != 0) {
		v.errf(p+".duration", "only for faults: an action is not held")
	}
}

// kind checks the fault or action name against the registry and lets the
// kind's constructor validate `with` (constructors touch nothing).
func (v *validator) kind(p, field string, s *Step) {
	name := s.Fault
	if field == "action" {
		name = s.Action
	}
	k, ok := faults.Lookup(name)
	if !ok {
		v.errf(p+"."+field, "unknown %s kind %q%s", field, name, knownKinds(field))
		return
	}
	if field == "fault" && k.NewFault == nil {
		v.errf(p+".fault", "%q is an action: write action: %s", name, name)
		return
	}
	if field == "action" && k.NewAction == nil {
		v.errf(p+".action", "%q is a fault: write fault: %s", name, name)
		return
	}
	if v.failed(p + ".with") {
		return
	}
	params, err := json.Marshal(s.With)
	if err != nil {
		v.errf(p+".with", "cannot encode: %v", err)
		return
	}
	if s.With == nil {
		params = []byte("{}")
	}
	if err := construct(k, params); err != nil {
		msg := strings.TrimPrefix(err.Error(), "with: ")
		if wp, atKey := v.paramPath(p+".with", err); atKey {
			v.keyErrf(wp, "%s", msg)
		} else {
			v.errf(wp, "%s", msg)
		}
	}
}

// construct calls the kind's constructor, turning a panic in it into an error.
func construct(k faults.Kind, params json.RawMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s rejected its parameters: %v", k.Name, r)
		}
	}()
	if k.NewFault != nil {
		_, err = k.NewFault(params)
	} else {
		_, err = k.NewAction(params)
	}
	return err
}

var unknownJSONField = regexp.MustCompile(`unknown field "([^"]*)"`)

// paramPath points a constructor's error at the parameter it names, when
// the JSON decoder says which one; otherwise at `with` itself. An unknown
// parameter is reported at its key, a bad value at the value.
func (v *validator) paramPath(with string, err error) (path string, atKey bool) {
	if v.doc == nil {
		return with, false
	}
	var field string
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field = te.Field
	} else if m := unknownJSONField.FindStringSubmatch(err.Error()); m != nil {
		field, atKey = m[1], true
	}
	if field == "" {
		return with, false
	}
	fp := joinPath(with, field)
	if v.doc.Written(fp) {
		return fp, atKey
	}
	return with, false
}

func knownKinds(field string) string {
	var names []string
	for _, n := range faults.Names() {
		if faults.IsAction(n) == (field == "action") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (no %s kinds are registered)", field)
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

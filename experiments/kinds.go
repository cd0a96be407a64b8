package experiments

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
)

// Param is one parameter of a kind as `faultline kinds` shows it, read
// from the kind's typed `with` struct through its JSON Schema fragment,
// so that the list, the schema and the decoder never disagree.
type Param struct {
	Name     string
	Type     string // "string", "integer", "duration", "list of string", "off|cycle|reset"...
	Required bool
	Default  string // "" when the struct declares none
	Doc      string
}

// KindInfo is one registered kind: a fault, an action or a probe.
type KindInfo struct {
	Name   string
	Class  string // "fault", "action" or "probe"
	Doc    string
	Params []Param
}

// Kinds lists every fault, action and probe kind of this build with its
// parameters: faults first, then actions, then probes, each sorted by name.
func Kinds() []KindInfo {
	var out, actions []KindInfo
	for _, n := range faults.Names() {
		k, _ := faults.Lookup(n)
		ki := KindInfo{Name: n, Class: "fault", Doc: k.Doc, Params: paramsOf(k.Params)}
		if k.NewAction != nil {
			ki.Class = "action"
			actions = append(actions, ki)
			continue
		}
		out = append(out, ki)
	}
	out = append(out, actions...)
	for _, n := range probes.Names() {
		k, _ := probes.Lookup(n)
		out = append(out, KindInfo{Name: n, Class: "probe", Doc: k.Doc, Params: paramsOf(k.Params)})
	}
	return out
}

// paramsOf lists the parameters of a `with` struct (a zero value), sorted
// with the required ones first; nil for a kind that declares none.
func paramsOf(params any) []Param {
	if params == nil {
		return nil
	}
	s := paramsSchema(params)
	props, _ := s["properties"].(map[string]any)
	required := map[string]bool{}
	if r, ok := s["required"].([]any); ok {
		for _, n := range r {
			required[fmt.Sprint(n)] = true
		}
	}
	out := make([]Param, 0, len(props))
	for name, p := range props {
		ps := p.(map[string]any)
		prm := Param{Name: name, Type: typeText(ps), Required: required[name]}
		if d, ok := ps["default"]; ok {
			prm.Default = fmt.Sprint(d)
		}
		if d, ok := ps["description"].(string); ok {
			prm.Doc = d
		}
		out = append(out, prm)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Required != out[j].Required {
			return out[i].Required
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// typeText names a parameter's schema the way a reader writes it.
func typeText(s map[string]any) string {
	if ref, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#/$defs/")
	}
	if e, ok := s["enum"].([]any); ok {
		vals := make([]string, len(e))
		for i, v := range e {
			vals[i] = fmt.Sprint(v)
		}
		return strings.Join(vals, "|")
	}
	if alts, ok := s["oneOf"].([]any); ok {
		names := make([]string, 0, len(alts))
		for _, a := range alts {
			names = append(names, typeText(a.(map[string]any)))
		}
		return strings.Join(names, " or ")
	}
	switch t := s["type"].(type) {
	case string:
		switch t {
		case "array":
			if items, ok := s["items"].(map[string]any); ok {
				return "list of " + typeText(items)
			}
			return "list"
		case "object":
			return "mapping"
		}
		return t
	case []any:
		names := make([]string, len(t))
		for i, n := range t {
			names[i] = fmt.Sprint(n)
		}
		return strings.Join(names, " or ")
	}
	return "any"
}

package experiments

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
)

// schemaBase is the format's fixed part; the kinds come from the registries.
//
//go:embed schema_base.json
var schemaBase []byte

// Schema returns the JSON Schema (draft 2020-12) of the format, version 1,
// generated from the registries of this build: probe kinds and their
// parameters, fault and action kinds and their `with`. Parse checks more (references between
// probes and steps, values the kinds reject).
func Schema() []byte {
	var root map[string]any
	if err := json.Unmarshal(schemaBase, &root); err != nil {
		panic("experiments: schema_base.json: " + err.Error())
	}
	defs := root["$defs"].(map[string]any)
	addProbeKinds(defs)
	addStepKinds(defs)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		panic("experiments: schema: " + err.Error())
	}
	return b.Bytes()
}

// ProbeKindDef names the $defs entry of a probe kind's parameters.
func ProbeKindDef(kind string) string { return "probe." + kind }

func addProbeKinds(defs map[string]any) {
	probe := defs["probe"].(map[string]any)
	abort := defs["abortWhen"].(map[string]any)
	pprops := probe["properties"].(map[string]any)
	aprops := abort["properties"].(map[string]any)
	var oneOf, anyOf []any
	anyOf = append(anyOf, map[string]any{"required": []any{"probe"}})
	for _, name := range probes.Names() {
		k, _ := probes.Lookup(name)
		s := paramsSchema(k.Params)
		s["description"] = k.Doc + " (value: " + string(k.Value) + ")"
		defs[ProbeKindDef(name)] = s
		ref := map[string]any{"$ref": "#/$defs/" + ProbeKindDef(name)}
		pprops[name], aprops[name] = ref, ref
		oneOf = append(oneOf, map[string]any{"required": []any{name}})
		anyOf = append(anyOf, map[string]any{"required": []any{name}})
	}
	probe["oneOf"] = oneOf
	abort["allOf"] = []any{map[string]any{"oneOf": anyOf}}
}

func addStepKinds(defs map[string]any) {
	step := defs["step"].(map[string]any)
	props := step["properties"].(map[string]any)
	var faultNames, actionNames, conds []any
	for _, name := range faults.Names() {
		k, _ := faults.Lookup(name)
		field := "fault"
		if k.NewAction != nil {
			field = "action"
			actionNames = append(actionNames, name)
		} else {
			faultNames = append(faultNames, name)
		}
		if k.Params == nil {
			continue
		}
		with := paramsSchema(k.Params)
		with["type"] = []any{"object", "null"}
		with["description"] = k.Doc
		conds = append(conds, map[string]any{
			"if":   map[string]any{"required": []any{field}, "properties": map[string]any{field: map[string]any{"const": name}}},
			"then": map[string]any{"properties": map[string]any{"with": with}},
		})
	}
	if len(faultNames) > 0 {
		props["fault"].(map[string]any)["enum"] = faultNames
	}
	if len(actionNames) > 0 {
		props["action"].(map[string]any)["enum"] = actionNames
	}
	if len(conds) > 0 {
		step["allOf"] = conds
	}
}

type durationLike interface{ D() time.Duration }

var durationIface = reflect.TypeOf((*durationLike)(nil)).Elem()

// paramsSchema describes a kind's parameter struct by its json tags and
// the tags doc, required, pattern, enum (space-separated), min, max and
// minItems.
func paramsSchema(params any) map[string]any {
	if params == nil {
		return map[string]any{"type": "object"}
	}
	return typeSchema(reflect.TypeOf(params))
}

func typeSchema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(durationIface) {
		return map[string]any{"$ref": "#/$defs/duration"}
	}
	if reflect.PointerTo(t).Implements(schemaIface) {
		return reflect.New(t).Interface().(schemaer).JSONSchema()
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		var required []any
		structProps(t, props, &required)
		s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	case reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Interface:
		return map[string]any{}
	}
	panic(fmt.Sprintf("experiments: no schema for parameter type %s", t))
}

// structProps adds a struct's fields to props as encoding/json sees them:
// an embedded struct without a json name lends its fields to the outer one.
func structProps(t reflect.Type, props map[string]any, required *[]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			structProps(ft, props, required)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := typeSchema(f.Type)
		fieldTags(s, f.Tag)
		props[name] = s
		if f.Tag.Get("required") == "true" {
			*required = append(*required, name)
		}
	}
}

// schemaer is a parameter type that decodes itself (a name or a list, a
// signal name or number) and so describes its own schema.
type schemaer interface{ JSONSchema() map[string]any }

var schemaIface = reflect.TypeOf((*schemaer)(nil)).Elem()

func fieldTags(s map[string]any, tag reflect.StructTag) {
	if d := tag.Get("default"); d != "" {
		s["default"] = defaultValue(s, d)
	}
	if d := tag.Get("doc"); d != "" {
		s["description"] = d
	}
	if p := tag.Get("pattern"); p != "" {
		s["pattern"] = p
	}
	if e := tag.Get("enum"); e != "" {
		var vals []any
		for _, v := range strings.Fields(e) {
			vals = append(vals, v)
		}
		s["enum"] = vals
	}
	for _, k := range []struct{ tag, key string }{{"min", "minimum"}, {"max", "maximum"}, {"minItems", "minItems"}} {
		if v := tag.Get(k.tag); v != "" {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				s[k.key] = n
			}
		}
	}
}

// defaultValue is a `default` tag as a JSON value of the field's type.
func defaultValue(s map[string]any, text string) any {
	switch s["type"] {
	case "integer", "number":
		if n, err := strconv.ParseFloat(text, 64); err == nil {
			return n
		}
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	}
	return text
}

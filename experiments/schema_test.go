package experiments_test

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
)

type jsonObject = map[string]any

func loadSchema() jsonObject {
	GinkgoHelper()
	var s jsonObject
	Expect(json.Unmarshal(experiments.Schema(), &s)).To(Succeed())
	return s
}

// resolve follows a local "$ref" ("#/$defs/name") until a schema without one.
func resolve(root, s jsonObject) jsonObject {
	GinkgoHelper()
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name, found := strings.CutPrefix(ref, "#/$defs/")
		Expect(found).To(BeTrue(), "only local $defs refs: %s", ref)
		def, ok := root["$defs"].(jsonObject)[name].(jsonObject)
		Expect(ok).To(BeTrue(), "dangling $ref %s", ref)
		s = def
	}
}

// fieldName is a field as files spell it: its yaml tag, or for a probe
// kind's parameters (which arrive as JSON) its json tag.
func fieldName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" {
		tag = f.Tag.Get("json")
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

// yamlFieldNames lists the fields of a struct as files spell them; a
// struct holding a probe kind (Inline) has each registered kind as a field.
func yamlFieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == inlineType {
			names = append(names, probes.Names()...)
		}
		if name := fieldName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

var (
	durationType      = reflect.TypeOf(experiments.Duration(0))
	probeDurationType = reflect.TypeOf(probes.Duration(0))
	inlineType        = reflect.TypeOf(experiments.Inline{})
)

// matchType checks that schema s describes Go type t at path, down to every
// yaml-tagged field of every struct reachable from it.
func matchType(root, s jsonObject, t reflect.Type, path string) {
	GinkgoHelper()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == probeDurationType {
		Expect(s["$ref"]).To(Equal("#/$defs/duration"), "%s: a Duration must use the duration definition", path)
		return
	}
	r := resolve(root, s)
	switch t.Kind() {
	case reflect.Struct:
		Expect(r["type"]).To(Equal("object"), "%s: type", path)
		Expect(r["additionalProperties"]).To(Equal(false), "%s: additionalProperties must be false", path)
		props, ok := r["properties"].(jsonObject)
		Expect(ok).To(BeTrue(), "%s: properties", path)
		Expect(sortedKeysOf(props)).To(Equal(yamlFieldNames(t)), "%s: schema properties against the yaml fields of %s", path, t)
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Type == inlineType {
				// Each probe kind, against the parameter struct it registered.
				for _, kind := range probes.Names() {
					k, _ := probes.Lookup(kind)
					matchType(root, props[kind].(jsonObject), reflect.TypeOf(k.Params), path+"."+kind)
				}
				continue
			}
			name := fieldName(t.Field(i))
			if name == "" {
				continue
			}
			prop, ok := props[name].(jsonObject)
			Expect(ok).To(BeTrue(), "%s.%s: no schema for the field", path, name)
			if ok {
				matchType(root, prop, t.Field(i).Type, path+"."+name)
			}
		}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			// `with`: free-form, checked by the kind; null means empty.
			Expect(r["type"]).To(ContainElement("object"), "%s: type", path)
			return
		}
		Expect(r["type"]).To(Equal("object"), "%s: type", path)
		if t == reflect.TypeOf(experiments.Latency{}) {
			Expect(r["additionalProperties"]).To(Equal(false), "%s: latency keys are closed", path)
			props := r["properties"].(jsonObject)
			Expect(sortedKeysOf(props)).To(ConsistOf("p50", "p90", "p95", "p99", "p99.9", "max"))
			for k, p := range props {
				Expect(p.(jsonObject)["$ref"]).To(Equal("#/$defs/comparison"), "%s.%s", path, k)
			}
			return
		}
		elem, ok := r["additionalProperties"].(jsonObject)
		Expect(ok).To(BeTrue(), "%s: a map needs an additionalProperties schema", path)
		matchType(root, elem, t.Elem(), path+".*")
	case reflect.Slice:
		Expect(r["type"]).To(Equal("array"), "%s: type", path)
		matchType(root, r["items"].(jsonObject), t.Elem(), path+"[]")
	case reflect.String:
		if _, isConst := r["const"]; isConst {
			return
		}
		if _, isEnum := r["enum"]; isEnum {
			return
		}
		if r["anyOf"] != nil {
			return
		}
		Expect(r["type"]).To(Equal("string"), "%s: type", path)
	case reflect.Int, reflect.Float64:
		if t.Kind() == reflect.Float64 {
			Expect(r["type"]).To(Equal("number"), "%s: type", path)
			return
		}
		if r["const"] != nil {
			return
		}
		Expect(r["type"]).To(Equal("integer"), "%s: type", path)
	case reflect.Bool:
		Expect(r["type"]).To(Equal("boolean"), "%s: type", path)
	default:
		Fail("unexpected kind " + t.Kind().String() + " at " + path)
	}
}

func sortedKeysOf(m jsonObject) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// yamlToJSON reads a YAML file as JSON values, the way a schema validator sees it.
func yamlToJSON(path string) any {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var v any
	Expect(yaml.Unmarshal(data, &v)).To(Succeed())
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	var out any
	Expect(json.Unmarshal(b, &out)).To(Succeed())
	return out
}

var _ = Describe("Schema", func() {
	It("is valid JSON Schema, draft 2020-12, with every $ref resolvable", func() {
		s := loadSchema()
		Expect(s["$schema"]).To(Equal("https://json-schema.org/draft/2020-12/schema"))
		var walk func(v any)
		walk = func(v any) {
			switch t := v.(type) {
			case jsonObject:
				if ref, ok := t["$ref"].(string); ok {
					resolve(s, jsonObject{"$ref": ref})
				}
				for _, c := range t {
					walk(c)
				}
			case []any:
				for _, c := range t {
					walk(c)
				}
			}
		}
		walk(s)
	})

	It("has exactly the fields of the Go types, closed at every level", func() {
		s := loadSchema()
		matchType(s, s, reflect.TypeOf(experiments.Experiment{}), "")
	})

	It("notices a Go field the schema lacks", func() {
		type safetyPlus struct {
			MaxTargets   int                  `yaml:"maxTargets"`
			GuardTTL     experiments.Duration `yaml:"guardTTL"`
			AllowLockout bool                 `yaml:"allowLockout"`
			Quorum       int                  `yaml:"quorum"`
		}
		s := loadSchema()
		safety := jsonObject{"$ref": "#/$defs/safety"}
		Expect(InterceptGomegaFailures(func() {
			matchType(s, safety, reflect.TypeOf(experiments.Safety{}), "safety")
		})).To(BeEmpty())
		Expect(InterceptGomegaFailures(func() {
			matchType(s, safety, reflect.TypeOf(safetyPlus{}), "safety")
		})).To(ContainElement(ContainSubstring("quorum")))
	})

	It("accepts the complete example, which uses only fields it knows", func() {
		s := loadSchema()
		Expect(validate(s, s, yamlToJSON(example), "")).To(BeEmpty())
	})

	It("rejects what Parse rejects structurally", func() {
		s := loadSchema()
		base := yamlToJSON(example).(jsonObject)
		mutate := func(f func(e jsonObject)) jsonObject {
			b, _ := json.Marshal(base)
			var c jsonObject
			Expect(json.Unmarshal(b, &c)).To(Succeed())
			f(c)
			return c
		}
		cases := map[string]jsonObject{
			"unknown top field":   mutate(func(e jsonObject) { e["colour"] = "red" }),
			"unknown probe field": mutate(func(e jsonObject) { e["probes"].(jsonObject)["web"].(jsonObject)["evry"] = "1s" }),
			"two probe kinds":     mutate(func(e jsonObject) { e["probes"].(jsonObject)["web"].(jsonObject)["tcp"] = jsonObject{"address": "a:1"} }),
			"bad duration":        mutate(func(e jsonObject) { e["observe"] = "2 s" }),
			"negative duration":   mutate(func(e jsonObject) { e["observe"] = "-1s" }),
			"version 2":           mutate(func(e jsonObject) { e["version"] = 2 }),
			"bad revert":          mutate(func(e jsonObject) { e["steps"].([]any)[0].(jsonObject)["revert"] = "later" }),
			"at and wait":         mutate(func(e jsonObject) { e["steps"].([]any)[0].(jsonObject)["wait"] = "1s" }),
			"two assertions":      mutate(func(e jsonObject) { e["verify"].([]any)[1].(jsonObject)["never"] = "ok" }),
			"reaches without within": mutate(func(e jsonObject) {
				delete(e["verify"].([]any)[2].(jsonObject), "within")
			}),
			"unknown percentile": mutate(func(e jsonObject) { e["verify"].([]any)[3].(jsonObject)["latency"] = jsonObject{"p98": "< 1s"} }),
			"window without availabilityBelow": mutate(func(e jsonObject) {
				e["abortWhen"].([]any)[0].(jsonObject)["window"] = "5s"
			}),
		}
		for name, c := range cases {
			Expect(validate(s, s, c, "")).NotTo(BeEmpty(), name)
		}
	})

	It("is returned as a copy", func() {
		a := experiments.Schema()
		a[0] = 'x'
		Expect(experiments.Schema()[0]).To(Equal(byte('{')))
	})
})

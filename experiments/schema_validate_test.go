package experiments_test

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
)

// validate is a small JSON Schema checker, enough for the keywords the
// format's schema uses; it returns one message per violation.
func validate(root, s jsonObject, v any, path string) []string {
	s = resolveQuiet(root, s)
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		fail("want type %v, got %T", t, v)
		return errs
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(normalise(c), normalise(v)) {
		fail("want %v", c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || reflect.DeepEqual(x, v)
		}
		if !found {
			fail("want one of %v", e)
		}
	}
	for _, sub := range asList(s["allOf"]) {
		errs = append(errs, validate(root, sub, v, path)...)
	}
	if list := asList(s["anyOf"]); list != nil && countValid(root, list, v) == 0 {
		fail("matches none of anyOf")
	}
	if list := asList(s["oneOf"]); list != nil {
		if n := countValid(root, list, v); n != 1 {
			fail("matches %d of oneOf, want exactly 1", n)
		}
	}
	if not, ok := s["not"].(jsonObject); ok && len(validate(root, not, v, path)) == 0 {
		fail("matches a forbidden schema")
	}
	switch t := v.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(t) {
			fail("%q does not match %s", t, p)
		}
		if n, ok := s["minLength"].(float64); ok && float64(len(t)) < n {
			fail("shorter than %v", n)
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && t < n {
			fail("below %v", n)
		}
		if n, ok := s["maximum"].(float64); ok && t > n {
			fail("above %v", n)
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(t)) < n {
			fail("fewer than %v items", n)
		}
		if items, ok := s["items"].(jsonObject); ok {
			for i, x := range t {
				errs = append(errs, validate(root, items, x, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case jsonObject:
		errs = append(errs, validateObject(root, s, t, path)...)
	}
	return errs
}

func validateObject(root, s jsonObject, o jsonObject, path string) []string {
	var errs []string
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if _, has := o[r.(string)]; !has {
				errs = append(errs, fmt.Sprintf("%s: missing %s", path, r))
			}
		}
	}
	if n, ok := s["minProperties"].(float64); ok && float64(len(o)) < n {
		errs = append(errs, fmt.Sprintf("%s: fewer than %v properties", path, n))
	}
	if dr, ok := s["dependentRequired"].(jsonObject); ok {
		for k, needs := range dr {
			if _, has := o[k]; !has {
				continue
			}
			for _, n := range needs.([]any) {
				if _, has := o[n.(string)]; !has {
					errs = append(errs, fmt.Sprintf("%s: %s needs %s", path, k, n))
				}
			}
		}
	}
	props, _ := s["properties"].(jsonObject)
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p, ok := props[k].(jsonObject); ok {
			errs = append(errs, validate(root, p, o[k], path+"."+k)...)
			continue
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if !ap {
				errs = append(errs, fmt.Sprintf("%s: unknown property %q", path, k))
			}
		case jsonObject:
			errs = append(errs, validate(root, ap, o[k], path+"."+k)...)
		}
	}
	return errs
}

func resolveQuiet(root, s jsonObject) jsonObject {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	def := root["$defs"].(jsonObject)[ref[len("#/$defs/"):]].(jsonObject)
	// Keywords beside a $ref apply too (2020-12): merge them over the target.
	merged := jsonObject{}
	for k, v := range resolveQuiet(root, def) {
		merged[k] = v
	}
	for k, v := range s {
		if k != "$ref" {
			if k == "pattern" {
				merged["allOf"] = append(asAnyList(merged["allOf"]), jsonObject{"pattern": v})
				continue
			}
			merged[k] = v
		}
	}
	return merged
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asList(v any) []jsonObject {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]jsonObject, 0, len(l))
	for _, x := range l {
		out = append(out, x.(jsonObject))
	}
	return out
}

func countValid(root jsonObject, list []jsonObject, v any) int {
	n := 0
	for _, s := range list {
		if len(validate(root, s, v, "")) == 0 {
			n++
		}
	}
	return n
}

func normalise(v any) any {
	switch t := v.(type) {
	case int:
		return float64(t)
	}
	return v
}

func typeMatches(t any, v any) bool {
	if list, ok := t.([]any); ok {
		for _, x := range list {
			if typeMatches(x, v) {
				return true
			}
		}
		return false
	}
	switch t {
	case "object":
		_, ok := v.(jsonObject)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

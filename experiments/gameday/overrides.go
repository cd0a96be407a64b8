package gameday

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/strictyaml"
)

// overridable are the top-level experiment fields an entry may override.
var overridable = map[string]bool{
	"name": true, "description": true, "labels": true, "probes": true, "steadyState": true,
	"steps": true, "observe": true, "verify": true, "abortWhen": true, "safety": true,
}

// checkOverrideKeys reports each key an entry may not override; false
// when there was one.
func checkOverrideKeys(doc *strictyaml.Doc, field string, o yaml.MapSlice) bool {
	ok := true
	for _, it := range o {
		k := fmt.Sprint(it.Key)
		if !overridable[k] {
			keys := make([]string, 0, len(overridable))
			for n := range overridable {
				keys = append(keys, n)
			}
			sort.Strings(keys)
			doc.Errorf(field+".overrides."+k, "cannot override %q (want one of %s)", k, strings.Join(keys, ", "))
			ok = false
		}
	}
	return ok
}

// loadWithOverrides loads an experiment file and, when there are
// overrides, merges them into its top level and parses the result again
// with experiments.Parse, so the overridden experiment is validated like
// any file. Errors then name the file "FILE (with overrides from GAMEDAY)";
// their field paths are the experiment's.
func loadWithOverrides(path string, o yaml.MapSlice, gameDayFile string) (*experiments.Experiment, error) {
	if len(o) == 0 {
		return experiments.Load(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load experiment: %w", err)
	}
	merged, err := applyOverrides(data, o)
	if err != nil {
		// Not a mapping: let the experiment parser say why, with positions.
		return experiments.Parse(path, data)
	}
	exp, err := experiments.Parse(fmt.Sprintf("%s (with overrides from %s)", path, gameDayFile), merged)
	if err != nil {
		return nil, err
	}
	exp.File = path
	return exp, nil
}

// applyOverrides decodes an experiment document to an ordered map, merges
// the overrides into it and encodes it again.
func applyOverrides(data []byte, o yaml.MapSlice) ([]byte, error) {
	var doc any
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.UseOrderedMap()); err != nil {
		return nil, err
	}
	base, ok := doc.(yaml.MapSlice)
	if !ok {
		return nil, fmt.Errorf("experiment is not a mapping")
	}
	return yaml.Marshal(mergePatch(base, o))
}

// mergePatch is RFC 7386 over ordered maps: mappings merge recursively,
// null deletes a key, anything else replaces. Key order is kept, new keys
// go last.
func mergePatch(target any, patch any) any {
	p, ok := asMapSlice(patch)
	if !ok {
		return patch
	}
	t, _ := asMapSlice(target)
	out := make(yaml.MapSlice, 0, len(t)+len(p))
	out = append(out, t...)
	for _, it := range p {
		idx := -1
		for i := range out {
			if fmt.Sprint(out[i].Key) == fmt.Sprint(it.Key) {
				idx = i
				break
			}
		}
		if it.Value == nil {
			if idx >= 0 {
				out = append(out[:idx], out[idx+1:]...)
			}
			continue
		}
		if idx >= 0 {
			out[idx].Value = mergePatch(out[idx].Value, it.Value)
		} else {
			out = append(out, yaml.MapItem{Key: it.Key, Value: mergePatch(nil, it.Value)})
		}
	}
	return out
}

// asMapSlice reads a decoded mapping, ordered or not (nested values of a
// MapSlice field decode as plain maps), as a MapSlice.
func asMapSlice(v any) (yaml.MapSlice, bool) {
	switch m := v.(type) {
	case yaml.MapSlice:
		return m, true
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(yaml.MapSlice, 0, len(m))
		for _, k := range keys {
			out = append(out, yaml.MapItem{Key: k, Value: m[k]})
		}
		return out, true
	}
	return nil, false
}

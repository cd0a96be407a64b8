package strictyaml

import (
	"fmt"
	"math"
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// decodeParams converts a `with` mapping into plain values that encode to
// JSON for the kind's constructor; a null or absent `with` is empty.
func (d *decoder) decodeParams(n ast.Node, v reflect.Value, path string) {
	if s, ok := scalarOf(n); ok && s.Kind == "null" {
		return
	}
	val, ok := d.plain(n, path)
	if !ok {
		d.bad[path] = true // the kind's constructor must not see half of it
		return
	}
	m, isMap := val.(map[string]any)
	if !isMap {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	v.Set(reflect.ValueOf(m).Convert(v.Type()))
}

// plain turns any node into string/int64/uint64/float64/bool/nil, []any or
// map[string]any, recording the position of every nested key.
func (d *decoder) plain(n ast.Node, path string) (out any, ok bool) {
	d.deref(n, path, func(n ast.Node) { out, ok = d.plainValue(n, path) })
	return out, ok
}

func (d *decoder) plainValue(n ast.Node, path string) (any, bool) {
	switch t := n.(type) {
	case *ast.SequenceNode:
		out := make([]any, 0, len(t.Values))
		good := true
		for i, item := range t.Values {
			ip := fmt.Sprintf("%s[%d]", path, i)
			d.pos[ip] = posOf(item)
			v, ok := d.plain(item, ip)
			good = good && ok
			out = append(out, v)
		}
		return out, good
	case *ast.MappingNode, *ast.MappingValueNode:
		entries, ok := d.entries(n, path)
		if !ok {
			return nil, false
		}
		out := make(map[string]any, len(entries))
		seen := map[string]Pos{}
		good := true
		for _, e := range entries {
			fp := JoinPath(path, e.key)
			kp := posOf(e.keyNode)
			if first, dup := seen[e.key]; dup {
				d.errorAt(kp, fp, "duplicate key %q (first at line %d)", e.key, first.Line)
				good = false
				continue
			}
			seen[e.key] = kp
			d.keyPos[fp] = kp
			d.pos[fp] = d.valuePos(e)
			v, ok := d.plain(e.value, fp)
			good = good && ok
			out[e.key] = v
		}
		return out, good
	case nil:
		return nil, true
	}
	s, ok := scalarOf(n)
	if !ok {
		d.fail(n, path, "unsupported value: %s", describe(n))
		return nil, false
	}
	if f, isFloat := s.Val.(float64); isFloat && (math.IsInf(f, 0) || math.IsNaN(f)) {
		d.fail(n, path, "%s cannot be passed on: want a finite number", s.Text)
		return nil, false
	}
	return s.Val, true
}

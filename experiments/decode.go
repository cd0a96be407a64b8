package experiments

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"

	"github.com/faultline/faultline/internal/probes"
)

// nodeBudget caps how many nodes one file may expand to: aliases can
// otherwise grow a small file exponentially ("billion laughs").
const nodeBudget = 200000

// decoder walks the YAML tree into the Go types by their yaml tags. Unlike
// a stop-at-first-error decoder, it records every problem with its position
// and keeps going, and it remembers where each field was written so that
// semantic checks can point at it too.
type decoder struct {
	file    string
	errs    *ErrorList
	pos     map[string]position // value position of every field path written
	keyPos  map[string]position // key position of every map entry written
	bad     map[string]bool     // paths whose value could not be decoded
	order   map[string][]string // key order of decoded maps, by path
	anchors map[string]ast.Node
	budget  int
}

func newDecoder(file string, errs *ErrorList) *decoder {
	return &decoder{
		file:    file,
		errs:    errs,
		pos:     map[string]position{},
		keyPos:  map[string]position{},
		bad:     map[string]bool{},
		order:   map[string][]string{},
		anchors: map[string]ast.Node{},
		budget:  nodeBudget,
	}
}

func (d *decoder) errorAt(p position, path, format string, args ...any) {
	d.errs.add(FieldError{File: d.file, Line: p.Line, Column: p.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// fail reports a value that could not be decoded, and marks its path so
// that semantic checks do not pile further errors onto it.
func (d *decoder) fail(n ast.Node, path, format string, args ...any) {
	d.bad[path] = true
	p, ok := d.pos[path]
	if !ok {
		p = posOf(n)
	}
	d.errorAt(p, path, format, args...)
}

// spend charges one node against the budget.
func (d *decoder) spend(n ast.Node, path string) bool {
	if d.budget <= 0 {
		return false
	}
	d.budget--
	if d.budget == 0 {
		d.fail(n, path, "document too large: more than %d nodes once aliases are expanded", nodeBudget)
		return false
	}
	return true
}

// deref strips anchors, aliases and standard tags, registering anchors
// once their value is complete (so an alias can never refer to itself).
// It returns nil when the node cannot be used (the error is reported).
func (d *decoder) deref(n ast.Node, path string, use func(ast.Node)) {
	if !d.spend(n, path) {
		return
	}
	switch t := n.(type) {
	case *ast.AnchorNode:
		d.deref(t.Value, path, use)
		d.anchors[anchorName(t)] = t.Value
	case *ast.AliasNode:
		target, ok := d.anchors[aliasName(t)]
		if !ok {
			d.fail(n, path, "unknown alias *%s", aliasName(t))
			return
		}
		d.deref(target, path, use)
	case *ast.TagNode:
		tag := tagName(t)
		switch {
		case tag == "!!str":
			use(t)
		case standardTags[tag]:
			d.deref(t.Value, path, use)
		default:
			d.fail(n, path, "unsupported tag %s", tag)
		}
	case *ast.CommentGroupNode:
		use(nil)
	default:
		use(n)
	}
}

var durationType = reflect.TypeOf(Duration(0))

// decode fills v from node n; path names the field in errors.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	d.deref(n, path, func(n ast.Node) { d.decodeValue(n, v, path) })
}

func (d *decoder) decodeValue(n ast.Node, v reflect.Value, path string) {
	if v.Type() == durationType {
		d.decodeDuration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			d.decodeParams(n, v, path)
			return
		}
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		s, ok := scalarOf(n)
		if !ok || s.kind != "string" {
			d.fail(n, path, "want a string, got %s%s", describe(n), quoteHint(s, ok))
			return
		}
		v.SetString(s.text)
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, ok := scalarOf(n)
		if !ok || s.kind != "int" {
			d.fail(n, path, "want an integer, got %s", describe(n))
			return
		}
		i, ok := asInt64(s.val)
		if !ok || v.OverflowInt(i) {
			d.fail(n, path, "integer %s out of range", s.text)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		s, ok := scalarOf(n)
		if !ok || s.kind != "bool" {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(s.val.(bool))
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

// quoteHint suggests quoting a number or boolean meant as text.
func quoteHint(s scalar, ok bool) string {
	if ok && (s.kind == "int" || s.kind == "float" || s.kind == "bool") {
		return fmt.Sprintf(" (write \"%s\" to mean text)", s.text)
	}
	return ""
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string) {
	s, ok := scalarOf(n)
	if !ok {
		d.fail(n, path, "want a duration such as 150ms or 2s, got %s", describe(n))
		return
	}
	switch {
	case s.kind == "string":
		dur, err := ParseDuration(s.text)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
	case s.kind == "int" && isZero(s.val):
		v.SetInt(0)
	default:
		d.fail(n, path, "bad duration %s: want a number with a unit, e.g. 150ms, 2s, 1m", s.text)
	}
}

// entry is one key/value pair of a mapping.
type entry struct {
	key      string
	keyNode  ast.Node
	value    ast.Node
	keyValid bool
}

// entries lists a mapping's pairs, reporting merge keys and non-scalar keys.
func (d *decoder) entries(n ast.Node, path string) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch t := n.(type) {
	case *ast.MappingNode:
		values = t.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{t}
	default:
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return nil, false
	}
	out := make([]entry, 0, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		e := entry{keyNode: mv.Key, value: mv.Value}
		key, ok := d.keyText(mv.Key)
		if !ok {
			d.errorAt(posOf(mv.Key), path, "mapping keys must be plain strings")
			continue
		}
		if key == "<<" && mv.Key.IsMergeKey() {
			d.errorAt(posOf(mv.Key), path, "merge keys (<<) are not supported: write the fields out")
			continue
		}
		e.key, e.keyValid = key, true
		out = append(out, e)
	}
	return out, true
}

func (d *decoder) keyText(k ast.Node) (string, bool) {
	switch t := k.(type) {
	case *ast.MappingKeyNode:
		return d.keyText(t.Value)
	case *ast.AnchorNode, *ast.AliasNode:
		return "", false
	case *ast.MergeKeyNode:
		return "<<", true
	}
	s, ok := scalarOf(k)
	if !ok {
		return "", false
	}
	return s.text, true
}

// fieldInfo maps yaml names to struct field indexes.
type fieldInfo struct {
	index  map[string]int
	names  []string
	inline int // index of an Inline field (a probe kind as a key of its own), or -1
}

var fieldCache sync.Map // reflect.Type → *fieldInfo

func yamlFields(t reflect.Type) *fieldInfo {
	if fi, ok := fieldCache.Load(t); ok {
		return fi.(*fieldInfo)
	}
	fi := &fieldInfo{index: map[string]int{}, inline: -1}
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == inlineType {
			fi.inline = i
			continue
		}
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		fi.index[name] = i
		fi.names = append(fi.names, name)
	}
	fieldCache.Store(t, fi)
	return fi
}

// yamlName is a field's name in files, or "" when it is not part of the format.
func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	entries, ok := d.entries(n, path)
	if !ok {
		return
	}
	fi := yamlFields(v.Type())
	seen := map[string]position{}
	for _, e := range entries {
		fp := joinPath(path, e.key)
		kp := posOf(e.keyNode)
		if first, dup := seen[e.key]; dup {
			d.errorAt(kp, fp, "duplicate field (first set at line %d)", first.Line)
			continue
		}
		seen[e.key] = kp
		idx, ok := fi.index[e.key]
		if !ok && fi.inline >= 0 && isProbeKind(e.key) {
			d.keyPos[fp] = kp
			d.pos[fp] = d.valuePos(e)
			d.decodeInline(e, fp, v.Field(fi.inline).Addr().Interface().(*Inline), path)
			continue
		}
		if !ok {
			known := fi.names
			if fi.inline >= 0 {
				known = append(append([]string(nil), known...), probes.Names()...)
			}
			d.errorAt(kp, fp, "unknown field %q (known: %s)", e.key, strings.Join(known, ", "))
			continue
		}
		d.keyPos[fp] = kp
		d.pos[fp] = d.valuePos(e)
		d.decode(e.value, v.Field(idx), fp)
	}
}

// valuePos is where a value starts, or its key when the value is null
// (an empty value has no place of its own in the text).
func (d *decoder) valuePos(e entry) position {
	if _, null := e.value.(*ast.NullNode); !null {
		if p := posOf(e.value); p.Line > 0 {
			return p
		}
	}
	return posOf(e.keyNode)
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	entries, ok := d.entries(n, path)
	if !ok {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(entries)))
	}
	seen := map[string]position{}
	for _, e := range entries {
		fp := joinPath(path, e.key)
		kp := posOf(e.keyNode)
		if first, dup := seen[e.key]; dup {
			d.errorAt(kp, fp, "duplicate key %q (first at line %d)", e.key, first.Line)
			continue
		}
		seen[e.key] = kp
		d.order[path] = append(d.order[path], e.key)
		d.keyPos[fp] = kp
		d.pos[fp] = d.valuePos(e)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, elem, fp)
		v.SetMapIndex(reflect.ValueOf(e.key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		ip := fmt.Sprintf("%s[%d]", path, i)
		d.pos[ip] = posOf(item)
		d.decode(item, out.Index(i), ip)
	}
	v.Set(out)
}

// sortedKeys lists a map's keys in order, for experiments built in code.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// asInt64 reads an integer the parser kept as int64 or uint64.
func asInt64(v any) (int64, bool) {
	switch i := v.(type) {
	case int64:
		return i, true
	case uint64:
		if i <= math.MaxInt64 {
			return int64(i), true
		}
	}
	return 0, false
}

func isZero(v any) bool {
	i, ok := asInt64(v)
	return ok && i == 0
}

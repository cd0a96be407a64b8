package strictyaml

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"
)

// nodeBudget caps how many nodes one file may expand to: aliases can
// otherwise grow a small file exponentially ("billion laughs").
const nodeBudget = 200000

// Options adapts the decoder to one file format.
type Options struct {
	// What the file holds, for an empty file: "an experiment (version: 1, ...)".
	What string
	// Types decodes values of types that cannot say how themselves (a
	// type of a leaf package, such as a duration); n is already stripped
	// of anchors, aliases and standard tags.
	Types map[reflect.Type]func(n Node, v reflect.Value)
}

// Unmarshaler is a type that decodes itself from its node, e.g. a value
// written either as a string or as a mapping.
type Unmarshaler interface {
	UnmarshalYAMLNode(n Node)
}

// KeyTaker is a struct field tagged `yaml:",inline"` that takes the keys
// its struct does not name, such as a probe kind written as a key of its
// own (`http: {...}` beside `every: 1s`).
type KeyTaker interface {
	TakesKey(key string) bool
	// KnownKeys are listed with the struct's fields when a key is unknown.
	KnownKeys() []string
	// TakeKey decodes the key's value; value.Path is the key's path.
	TakeKey(key string, value Node)
}

// decoder walks the YAML tree into Go values by their yaml tags. Unlike a
// stop-at-first-error decoder, it records every problem with its position
// and keeps going, and it remembers in its Doc where each field was
// written so that semantic checks can point at it too.
type decoder struct {
	*Doc
	opt     Options
	anchors map[string]ast.Node
	budget  int
}

// Node is a value being decoded, handed to an Unmarshaler, a KeyTaker or
// an Options.Types function.
type Node struct {
	d    *decoder
	n    ast.Node
	Path string
}

// Scalar reads the node as a scalar; false for mappings and lists.
func (n Node) Scalar() (Scalar, bool) { return scalarOf(n.n) }

// Describe names the node's type for "want X, got Y" messages.
func (n Node) Describe() string { return describe(n.n) }

// Failf reports a value that could not be decoded; checks on its path and
// below report nothing more.
func (n Node) Failf(format string, args ...any) { n.d.fail(n.n, n.Path, format, args...) }

// Errorf reports a problem at the node's path without marking it failed.
func (n Node) Errorf(format string, args ...any) {
	n.d.errorAt(n.d.At(n.Path), n.Path, format, args...)
}

// Decode decodes the node into v (a pointer) by its yaml tags.
func (n Node) Decode(v any) {
	n.d.deref(n.n, n.Path, func(x ast.Node) { n.d.decodeValue(x, reflect.ValueOf(v).Elem(), n.Path) })
}

// Map decodes the node as a mapping of plain values (string, int64,
// uint64, float64, bool, nil, []any, map[string]any); a null gives nil.
func (n Node) Map() (m map[string]any, ok bool) {
	n.d.deref(n.n, n.Path, func(x ast.Node) {
		if s, isScalar := scalarOf(x); x == nil || isScalar && s.Kind == "null" {
			ok = true
			return
		}
		n.d.decodeParams(x, reflect.ValueOf(&m).Elem(), n.Path)
		ok = m != nil
	})
	return m, ok
}

func (d *decoder) errorAt(p Pos, path, format string, args ...any) {
	d.Errs.Add(Error{File: d.File, Line: p.Line, Column: p.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
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
// use is not called when the node cannot be used (the error is reported).
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

var unmarshalerType = reflect.TypeOf((*Unmarshaler)(nil)).Elem()

// decode fills v from node n; path names the field in errors.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	d.deref(n, path, func(n ast.Node) { d.decodeValue(n, v, path) })
}

func (d *decoder) decodeValue(n ast.Node, v reflect.Value, path string) {
	if f, ok := d.opt.Types[v.Type()]; ok {
		f(Node{d, n, path}, v)
		return
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		v.Addr().Interface().(Unmarshaler).UnmarshalYAMLNode(Node{d, n, path})
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
		if !ok || s.Kind != "string" {
			d.fail(n, path, "want a string, got %s%s", describe(n), quoteHint(s, ok))
			return
		}
		v.SetString(s.Text)
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, ok := scalarOf(n)
		if !ok || s.Kind != "int" {
			d.fail(n, path, "want an integer, got %s", describe(n))
			return
		}
		i, ok := asInt64(s.Val)
		if !ok || v.OverflowInt(i) {
			d.fail(n, path, "integer %s out of range", s.Text)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		s, ok := scalarOf(n)
		if !ok || s.Kind != "bool" {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(s.Val.(bool))
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

// quoteHint suggests quoting a number or boolean meant as text.
func quoteHint(s Scalar, ok bool) string {
	if ok && (s.Kind == "int" || s.Kind == "float" || s.Kind == "bool") {
		return fmt.Sprintf(" (write \"%s\" to mean text)", s.Text)
	}
	return ""
}

// entry is one key/value pair of a mapping.
type entry struct {
	key     string
	keyNode ast.Node
	value   ast.Node
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
		key, ok := d.keyText(mv.Key)
		if !ok {
			d.errorAt(posOf(mv.Key), path, "mapping keys must be plain strings")
			continue
		}
		if key == "<<" && mv.Key.IsMergeKey() {
			d.errorAt(posOf(mv.Key), path, "merge keys (<<) are not supported: write the fields out")
			continue
		}
		out = append(out, entry{key: key, keyNode: mv.Key, value: mv.Value})
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
	return s.Text, true
}

// fieldInfo maps yaml names to struct fields; fields of a struct tagged
// `yaml:",inline"` count as the outer struct's own.
type fieldInfo struct {
	index  map[string][]int
	names  []string
	takers [][]int // KeyTaker fields
}

var (
	fieldCache   sync.Map // reflect.Type → *fieldInfo
	keyTakerType = reflect.TypeOf((*KeyTaker)(nil)).Elem()
)

func yamlFields(t reflect.Type) *fieldInfo {
	if fi, ok := fieldCache.Load(t); ok {
		return fi.(*fieldInfo)
	}
	fi := &fieldInfo{index: map[string][]int{}}
	fi.add(t, nil)
	fieldCache.Store(t, fi)
	return fi
}

func (fi *fieldInfo) add(t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		idx := append(append([]int(nil), prefix...), i)
		_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			// A struct of fields lends them; one with no fields of its
			// own that takes keys (the methods may be promoted from
			// deeper down, hence the order) is a taker.
			sub := &fieldInfo{index: map[string][]int{}}
			sub.add(f.Type, idx)
			if len(sub.names) == 0 && len(sub.takers) == 0 && reflect.PointerTo(f.Type).Implements(keyTakerType) {
				fi.takers = append(fi.takers, idx)
				continue
			}
			for _, n := range sub.names {
				fi.index[n] = sub.index[n]
			}
			fi.names = append(fi.names, sub.names...)
			fi.takers = append(fi.takers, sub.takers...)
			continue
		}
		name := yamlName(f)
		if name == "" {
			continue
		}
		fi.index[name] = idx
		fi.names = append(fi.names, name)
	}
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
	seen := map[string]Pos{}
entries:
	for _, e := range entries {
		fp := JoinPath(path, e.key)
		kp := posOf(e.keyNode)
		if first, dup := seen[e.key]; dup {
			d.errorAt(kp, fp, "duplicate field (first set at line %d)", first.Line)
			continue
		}
		seen[e.key] = kp
		idx, ok := fi.index[e.key]
		if !ok {
			known := fi.names
			for _, ti := range fi.takers {
				taker := v.FieldByIndex(ti).Addr().Interface().(KeyTaker)
				if taker.TakesKey(e.key) {
					d.keyPos[fp] = kp
					d.pos[fp] = d.valuePos(e)
					taker.TakeKey(e.key, Node{d, e.value, fp})
					continue entries
				}
				known = append(append([]string(nil), known...), taker.KnownKeys()...)
			}
			d.errorAt(kp, fp, "unknown field %q (known: %s)", e.key, strings.Join(known, ", "))
			continue
		}
		d.keyPos[fp] = kp
		d.pos[fp] = d.valuePos(e)
		d.decode(e.value, v.FieldByIndex(idx), fp)
	}
}

// valuePos is where a value starts, or its key when the value is null
// (an empty value has no place of its own in the text).
func (d *decoder) valuePos(e entry) Pos {
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
	seen := map[string]Pos{}
	for _, e := range entries {
		fp := JoinPath(path, e.key)
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

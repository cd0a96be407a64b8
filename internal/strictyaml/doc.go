package strictyaml

import (
	"fmt"
	"strings"
)

// Doc is a decoded file: its errors, and where each field path
// ("steps[1].with.period") was written, for the loaders' own checks.
type Doc struct {
	File string
	Errs *ErrorList

	pos    map[string]Pos      // value position of every field path written
	keyPos map[string]Pos      // key position of every map entry written
	bad    map[string]bool     // paths whose value could not be decoded
	order  map[string][]string // key order of decoded maps, by path
}

func newDoc(file string) *Doc {
	return &Doc{
		File:   file,
		Errs:   &ErrorList{},
		pos:    map[string]Pos{},
		keyPos: map[string]Pos{},
		bad:    map[string]bool{},
		order:  map[string][]string{},
	}
}

// Written reports whether the file set the field (`every: 0` is written,
// a missing every is not).
func (d *Doc) Written(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// At is where a field's value was written, or its nearest written ancestor.
func (d *Doc) At(path string) Pos {
	for p := path; ; p = Parent(p) {
		if pos, ok := d.pos[p]; ok {
			return pos
		}
		if p == "" {
			return Pos{}
		}
	}
}

// KeyAt is where a map entry's key was written (a probe's name, an
// unknown field), or At(path) when it has none.
func (d *Doc) KeyAt(path string) Pos {
	if kp, ok := d.keyPos[path]; ok {
		return kp
	}
	return d.At(path)
}

// Failed reports whether the field or one of its ancestors did not decode.
func (d *Doc) Failed(path string) bool {
	for p := path; ; p = Parent(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// Order lists the keys of the mapping at path in file order.
func (d *Doc) Order(path string) []string { return d.order[path] }

// Errorf reports a problem of a field at its value; nothing when the
// field already failed to decode (one error per mistake).
func (d *Doc) Errorf(path, format string, args ...any) {
	d.report(d.At(path), path, format, args...)
}

// KeyErrorf is Errorf at the field's key.
func (d *Doc) KeyErrorf(path, format string, args ...any) {
	d.report(d.KeyAt(path), path, format, args...)
}

// report adds a problem of a field at p, unless the field failed.
func (d *Doc) report(p Pos, path, format string, args ...any) {
	if d.Failed(path) {
		return
	}
	d.Errs.Add(Error{File: d.File, Line: p.Line, Column: p.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// Parent is the path of the field that holds path ("steps[1]" for
// "steps[1].with", "steps" for "steps[1]"); "" at the top.
func Parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

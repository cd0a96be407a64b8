package gameday

import (
	"errors"
	"fmt"
	"sort"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/faultline/faultline/experiments"
)

// place is where a field was written.
type place struct {
	path         string
	line, column int
}

// positions maps field paths ("window.days[2]") to where they were
// written, so that decode errors and semantic checks can name both.
type positions struct {
	file   string
	places []place // in document order
	byPath map[string]place
}

func newPositions(file string, data []byte) (*positions, error) {
	p := &positions{file: file, byPath: map[string]place{}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, p.yamlError(err)
	}
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			p.walk(doc.Body, "")
			break
		}
	}
	sort.SliceStable(p.places, func(i, j int) bool {
		a, b := p.places[i], p.places[j]
		return a.line < b.line || a.line == b.line && a.column < b.column
	})
	return p, nil
}

func (p *positions) add(path string, n ast.Node) {
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return
	}
	pl := place{path: path, line: tk.Position.Line, column: tk.Position.Column}
	p.places = append(p.places, pl)
	if _, ok := p.byPath[path]; !ok {
		p.byPath[path] = pl
	}
}

func (p *positions) walk(n ast.Node, path string) {
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, kv := range v.Values {
			p.walkPair(kv, path)
		}
	case *ast.MappingValueNode:
		p.walkPair(v, path)
	case *ast.SequenceNode:
		for i, item := range v.Values {
			ip := fmt.Sprintf("%s[%d]", path, i)
			p.add(ip, item)
			p.walk(item, ip)
		}
	case *ast.TagNode:
		p.walk(v.Value, path)
	case *ast.AnchorNode:
		p.walk(v.Value, path)
	}
}

func (p *positions) walkPair(kv *ast.MappingValueNode, path string) {
	key := kv.Key.String()
	kp := key
	if path != "" {
		kp = path + "." + key
	}
	// Errors point at a scalar's value, at a collection's key.
	switch kv.Value.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		p.add(kp, kv.Key)
		p.add(kp, kv.Value)
	default:
		p.add(kp, kv.Value)
		p.add(kp, kv.Key)
	}
	p.walk(kv.Value, kp)
}

// at returns the field written at (or last before) a position.
func (p *positions) at(line, column int) string {
	best := ""
	for _, pl := range p.places {
		if pl.line > line || pl.line == line && pl.column > column {
			break
		}
		best = pl.path
	}
	return best
}

// errorf is a FieldError at a field's position (line 0 when unknown).
func (p *positions) errorf(path, format string, args ...any) experiments.FieldError {
	pl := p.byPath[path]
	return experiments.FieldError{File: p.file, Line: pl.line, Column: pl.column, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// yamlError turns a parser or decoder error into a positioned FieldError.
func (p *positions) yamlError(err error) experiments.FieldError {
	fe := experiments.FieldError{File: p.file, Line: 1, Column: 1, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		fe.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
			fe.Field = p.at(fe.Line, fe.Column)
		}
	}
	return fe
}

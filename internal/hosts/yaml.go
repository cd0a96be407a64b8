package hosts

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// parseYAML reads Ansible's YAML inventory: top-level groups (usually
// `all:`), each with `hosts:` (name → variables or null), `children:`
// (name → group) and `vars:`.
func parseYAML(file string, data []byte) (*raw, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	r := newRaw(file)
	y := &yamlInv{raw: r}
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		entries, ok := y.mapping(doc.Body, "inventory")
		if !ok {
			continue
		}
		for _, e := range entries {
			y.group(e.key, e.line, e.value)
		}
	}
	if len(y.errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(y.errs, "\n"))
	}
	return r, nil
}

type yamlInv struct {
	*raw
	errs []string
}

type yentry struct {
	key   string
	line  int
	value ast.Node
}

func (y *yamlInv) fail(line int, format string, args ...any) {
	y.errs = append(y.errs, fmt.Sprintf("%s: %s", y.at(line), fmt.Sprintf(format, args...)))
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		return lineOf(mv.Key)
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		return lineOf(m.Values[0])
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// unwrap skips anchors and tags; aliases are refused (write the values out).
func (y *yamlInv) unwrap(n ast.Node) (ast.Node, bool) {
	for {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		case *ast.AliasNode:
			y.fail(lineOf(n), "aliases are not supported in an inventory")
			return nil, false
		default:
			return n, true
		}
	}
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// mapping lists a mapping's entries; null is an empty mapping.
func (y *yamlInv) mapping(n ast.Node, what string) ([]yentry, bool) {
	n, ok := y.unwrap(n)
	if !ok {
		return nil, false
	}
	var values []*ast.MappingValueNode
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		values = t.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{t}
	default:
		y.fail(lineOf(n), "%s: want a mapping, got %s", what, n.Type())
		return nil, false
	}
	out := make([]yentry, 0, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		key, ok := scalarText(mv.Key)
		if !ok {
			y.fail(lineOf(mv.Key), "%s: keys must be plain strings", what)
			continue
		}
		out = append(out, yentry{key, lineOf(mv.Key), mv.Value})
	}
	return out, true
}

func scalarText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.MappingKeyNode:
		return scalarText(t.Value)
	case *ast.TagNode:
		return scalarText(t.Value)
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return n.GetToken().Value, true
	case *ast.NullNode:
		return "", true
	}
	return "", false
}

func (y *yamlInv) group(name string, line int, n ast.Node) {
	if !ValidName(name) {
		y.fail(line, "bad group name %q", name)
		return
	}
	g := y.raw.group(name, line)
	entries, ok := y.mapping(n, "group "+name)
	if !ok {
		return
	}
	for _, e := range entries {
		switch e.key {
		case "hosts":
			hosts, ok := y.mapping(e.value, "group "+name+": hosts")
			if !ok {
				continue
			}
			for _, h := range hosts {
				vars := y.vars(h.value, "host "+h.key)
				names, err := expandHost(h.key)
				if err != nil {
					y.fail(h.line, "%v", err)
					continue
				}
				for _, hn := range names {
					y.addHost(name, hn, h.line, vars)
				}
			}
		case "children":
			children, ok := y.mapping(e.value, "group "+name+": children")
			if !ok {
				continue
			}
			for _, c := range children {
				g.children = append(g.children, childRef{c.key, c.line})
				y.group(c.key, c.line, c.value)
			}
		case "vars":
			g.vars = append(g.vars, y.vars(e.value, "group "+name+": vars")...)
		default:
			y.fail(e.line, "group %s: unknown key %q (want hosts, children, vars)", name, e.key)
		}
	}
}

// vars reads a variables mapping; values that are not scalars are kept
// out (no connection variable is structured).
func (y *yamlInv) vars(n ast.Node, what string) []rawVar {
	entries, ok := y.mapping(n, what)
	if !ok {
		return nil
	}
	var out []rawVar
	for _, e := range entries {
		v, ok := y.unwrap(e.value)
		if !ok {
			continue
		}
		if isNull(v) {
			out = append(out, rawVar{e.key, "", e.line})
			continue
		}
		if s, ok := scalarText(v); ok {
			out = append(out, rawVar{e.key, s, e.line})
		}
	}
	return out
}

package experiments

import (
	"math"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// position is where a node starts in the file (1-based).
type position struct{ Line, Column int }

// posOf finds where a node starts. A block mapping is reported at its first
// key, not at the first ':' the parser keeps as its token.
func posOf(n ast.Node) position {
	if n == nil {
		return position{}
	}
	switch t := n.(type) {
	case *ast.MappingNode:
		if !t.IsFlowStyle && len(t.Values) > 0 && t.Values[0] != nil {
			return posOf(t.Values[0])
		}
	case *ast.MappingValueNode:
		if t.Key != nil {
			return posOf(t.Key)
		}
	case *ast.MappingKeyNode:
		if t.Start == nil {
			return posOf(t.Value)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

// scalar is a YAML scalar reduced to what the decoder needs.
type scalar struct {
	kind string // "string", "int", "float", "bool", "null"
	text string // the value as written
	val  any    // string, int64, uint64, float64, bool or nil
}

// scalarOf reads a scalar node; a `!!str` tag turns any scalar into a string.
func scalarOf(n ast.Node) (scalar, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return scalar{"string", t.Value, t.Value}, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return scalar{"string", "", ""}, true
		}
		return scalar{"string", t.Value.Value, t.Value.Value}, true
	case *ast.IntegerNode:
		return scalar{"int", tokenText(n), t.Value}, true
	case *ast.FloatNode:
		return scalar{"float", tokenText(n), t.Value}, true
	case *ast.InfinityNode:
		return scalar{"float", tokenText(n), t.Value}, true
	case *ast.NanNode:
		return scalar{"float", tokenText(n), math.NaN()}, true
	case *ast.BoolNode:
		return scalar{"bool", tokenText(n), t.Value}, true
	case *ast.NullNode:
		return scalar{"null", tokenText(n), nil}, true
	case *ast.TagNode:
		if tagName(t) == "!!str" {
			if s, ok := scalarOf(t.Value); ok && s.kind != "string" {
				return scalar{"string", s.text, s.text}, true
			} else if ok {
				return s, true
			}
		}
	}
	return scalar{}, false
}

func tokenText(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

func tagName(t *ast.TagNode) string {
	if t.Start == nil {
		return ""
	}
	return t.Start.Value
}

// standardTags are YAML core tags: their value is decoded as written.
var standardTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true,
}

func anchorName(a *ast.AnchorNode) string {
	if a.Name == nil {
		return ""
	}
	return tokenText(a.Name)
}

func aliasName(a *ast.AliasNode) string {
	if a.Value == nil {
		return ""
	}
	return tokenText(a.Value)
}

// describe names a node's type for "want X, got Y" messages.
func describe(n ast.Node) string {
	switch t := n.(type) {
	case nil:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.TagNode:
		if s, ok := scalarOf(t); ok {
			return describeScalar(s)
		}
		return describe(t.Value)
	}
	if s, ok := scalarOf(n); ok {
		return describeScalar(s)
	}
	return "a " + strings.ToLower(n.Type().String())
}

func describeScalar(s scalar) string {
	switch s.kind {
	case "string":
		return "a string"
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "a boolean"
	}
	return "null"
}

// joinPath builds field paths such as "steps[1].with.period".
func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

package strictyaml

import (
	"math"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Pos is where something starts in the file (1-based; 0: unknown).
type Pos struct{ Line, Column int }

// posOf finds where a node starts. A block mapping is reported at its first
// key, not at the first ':' the parser keeps as its token.
func posOf(n ast.Node) Pos {
	if n == nil {
		return Pos{}
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
		return Pos{}
	}
	return Pos{tk.Position.Line, tk.Position.Column}
}

// Scalar is a YAML scalar reduced to what a decoder needs.
type Scalar struct {
	Kind string // "string", "int", "float", "bool", "null"
	Text string // the value as written
	Val  any    // string, int64, uint64, float64, bool or nil
}

// scalarOf reads a scalar node; a `!!str` tag turns any scalar into a string.
func scalarOf(n ast.Node) (Scalar, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return Scalar{"string", t.Value, t.Value}, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return Scalar{"string", "", ""}, true
		}
		return Scalar{"string", t.Value.Value, t.Value.Value}, true
	case *ast.IntegerNode:
		return Scalar{"int", tokenText(n), t.Value}, true
	case *ast.FloatNode:
		return Scalar{"float", tokenText(n), t.Value}, true
	case *ast.InfinityNode:
		return Scalar{"float", tokenText(n), t.Value}, true
	case *ast.NanNode:
		return Scalar{"float", tokenText(n), math.NaN()}, true
	case *ast.BoolNode:
		return Scalar{"bool", tokenText(n), t.Value}, true
	case *ast.NullNode:
		return Scalar{"null", tokenText(n), nil}, true
	case *ast.TagNode:
		if tagName(t) == "!!str" {
			if s, ok := scalarOf(t.Value); ok && s.Kind != "string" {
				return Scalar{"string", s.Text, s.Text}, true
			} else if ok {
				return s, true
			}
		}
	}
	return Scalar{}, false
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

func describeScalar(s Scalar) string {
	switch s.Kind {
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

// JoinPath builds field paths such as "steps[1].with.period".
func JoinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// Int is the scalar as an integer, when it is one that fits an int64.
func (s Scalar) Int() (int64, bool) {
	if s.Kind != "int" {
		return 0, false
	}
	return asInt64(s.Val)
}

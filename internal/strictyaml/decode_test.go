package strictyaml_test

import (
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/strictyaml"
)

type seconds int

// KindKey takes any key starting with "k-" as a kind of its own.
type KindKey struct {
	Kind string         `yaml:"-"`
	With map[string]any `yaml:"-"`
}

func (k *KindKey) TakesKey(key string) bool { return strings.HasPrefix(key, "k-") }
func (k *KindKey) KnownKeys() []string      { return []string{"k-*"} }
func (k *KindKey) TakeKey(key string, n strictyaml.Node) {
	k.Kind = key
	k.With, _ = n.Map()
}

// pathOrSpec is "text" or {path: text}.
type pathOrSpec struct{ Path string }

func (p *pathOrSpec) UnmarshalYAMLNode(n strictyaml.Node) {
	if s, ok := n.Scalar(); ok && s.Kind == "string" {
		p.Path = s.Text
		return
	}
	var m struct {
		Path string `yaml:"path"`
	}
	n.Decode(&m)
	p.Path = m.Path
}

type inner struct {
	KindKey `yaml:",inline"`
	Every   seconds `yaml:"every"`
}

type outer struct {
	Name   string            `yaml:"name"`
	Count  int               `yaml:"count"`
	On     bool              `yaml:"on"`
	Items  []pathOrSpec      `yaml:"items"`
	Labels map[string]string `yaml:"labels"`
	Inner  `yaml:",inline"`
	Nested *inner `yaml:"nested"`
}

var opts = strictyaml.Options{
	What: "a test file",
	Types: map[reflect.Type]func(strictyaml.Node, reflect.Value){
		reflect.TypeOf(seconds(0)): func(n strictyaml.Node, v reflect.Value) {
			s, ok := n.Scalar()
			if i, isInt := s.Int(); ok && isInt {
				v.SetInt(i)
				return
			}
			n.Failf("want whole seconds, got %s", n.Describe())
		},
	},
}

// Inner is embedded inline: its fields are the outer struct's own.
type Inner struct {
	Extra string `yaml:"extra"`
}

func decode(src string) (*outer, *strictyaml.Doc, bool) {
	var o outer
	doc, ok := strictyaml.Decode("f.yaml", []byte(src), &o, opts)
	return &o, doc, ok
}

var _ = Describe("Decode", func() {
	It("decodes by yaml tags, through hooks, inline structs and key takers, keeping where each field was written", func() {
		o, doc, ok := decode("name: n\ncount: 3\non: true\nextra: x\nitems: [a, {path: b}]\nlabels: {z: \"1\", a: \"2\"}\nnested:\n  every: 5\n  k-http: {url: u}\n")
		Expect(ok).To(BeTrue())
		Expect(doc.Errs.Err()).NotTo(HaveOccurred())
		Expect(o.Name).To(Equal("n"))
		Expect(o.Count).To(Equal(3))
		Expect(o.Extra).To(Equal("x"))
		Expect(o.Items).To(Equal([]pathOrSpec{{"a"}, {"b"}}))
		Expect(o.Nested.Every).To(Equal(seconds(5)))
		Expect(o.Nested.Kind).To(Equal("k-http"))
		Expect(o.Nested.With).To(Equal(map[string]any{"url": "u"}))
		Expect(doc.Order("labels")).To(Equal([]string{"z", "a"}))
		Expect(doc.At("nested.k-http.url")).To(Equal(strictyaml.Pos{Line: 9, Column: 17}))
		Expect(doc.KeyAt("nested.every")).To(Equal(strictyaml.Pos{Line: 8, Column: 3}))
		Expect(doc.At("nested.never.written")).To(Equal(strictyaml.Pos{Line: 8, Column: 3}), "the nearest written ancestor")
		Expect(doc.Written("count")).To(BeTrue())
		Expect(doc.Written("labels.q")).To(BeFalse())
	})

	It("reports every problem at once, each with file:line:column and field, and no second error on a failed field", func() {
		_, doc, ok := decode("name: 5\ncount: many\ncolour: red\nname: again\nitems: [{path: a, x: 1}]\nnested: {every: soon, k-a: {}}\nlabels: {a: x, a: y}\non: true\n")
		Expect(ok).To(BeTrue())
		doc.Errorf("count", "a later check of a failed field says nothing")
		doc.Errorf("on", "a later check of a written field")
		Expect(strings.Split(doc.Errs.Error(), "\n")).To(Equal([]string{
			`f.yaml:1:7: name: want a string, got an integer (write "5" to mean text)`,
			`f.yaml:2:8: count: want an integer, got a string`,
			`f.yaml:3:1: colour: unknown field "colour" (known: name, count, on, items, labels, extra, nested)`,
			`f.yaml:4:1: name: duplicate field (first set at line 1)`,
			`f.yaml:5:19: items[0].x: unknown field "x" (known: path)`,
			`f.yaml:6:17: nested.every: want whole seconds, got a string`,
			`f.yaml:7:16: labels.a: duplicate key "a" (first at line 7)`,
			`f.yaml:8:5: on: a later check of a written field`,
		}))
	})

	DescribeTable("files that hold nothing to decode",
		func(src, msg string) {
			_, doc, ok := decode(src)
			Expect(ok).To(BeFalse())
			Expect(doc.Errs.Error()).To(HavePrefix("f.yaml:"))
			Expect(doc.Errs.Error()).To(ContainSubstring(msg))
		},
		Entry("empty", "# nothing\n", "empty file: want a test file"),
		Entry("syntax", "name: [a\n", "YAML syntax"),
		Entry("too large", "# "+strings.Repeat("x", strictyaml.MaxFileSize), "file too large"),
		Entry("too deep", "name: "+strings.Repeat("[", strictyaml.MaxFlowDepth+1), "nested deeper than"),
	)

	It("refuses aliases to nowhere, custom tags and merge keys at their place", func() {
		_, doc, _ := decode("name: *nowhere\nextra: !custom x\nnested:\n  <<: {every: 1}\n")
		msg := doc.Errs.Error()
		Expect(msg).To(ContainSubstring("f.yaml:1:7: name: unknown alias *nowhere"))
		Expect(msg).To(ContainSubstring("f.yaml:2:8: extra: unsupported tag !custom"))
		Expect(msg).To(ContainSubstring("f.yaml:4:3: nested: merge keys (<<) are not supported"))
	})
})

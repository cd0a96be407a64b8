package strictyaml

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on what Decode reads. The YAML parser's time grows faster than
// linearly with the tokens of one mapping and with flow nesting, so bound
// both; a real file has a few thousand tokens at most.
const (
	MaxFileSize  = 1 << 20
	MaxTokens    = 16384
	MaxFlowDepth = 64
)

// Decode parses one YAML document and decodes it into v (a pointer to a
// struct) by its yaml tags: unknown fields, duplicate keys, wrong types,
// aliases to nowhere and custom tags are errors, each at its position.
// It goes on after an error, so the Doc holds every problem of the file.
// ok is false when nothing could be decoded (syntax error, empty file).
func Decode(file string, data []byte, v any, opt Options) (doc *Doc, ok bool) {
	doc = newDoc(file)
	defer func() {
		// The YAML parser is third-party code; a bug there must become an
		// error for this file, not a crash of the caller.
		if r := recover(); r != nil {
			doc.Errs.Add(Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("cannot parse: internal error: %v", r)})
			ok = false
		}
	}()
	body := parse(file, data, opt, doc.Errs)
	if body == nil {
		return doc, false
	}
	d := &decoder{Doc: doc, opt: opt, anchors: map[string]ast.Node{}, budget: nodeBudget}
	doc.pos[""] = posOf(body)
	d.decode(body, reflect.ValueOf(v).Elem(), "")
	return doc, true
}

// parse returns the body of the file's one document, or nil after
// reporting why there is none.
func parse(file string, data []byte, opt Options, errs *ErrorList) ast.Node {
	if len(data) > MaxFileSize {
		errs.Add(Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file too large: %d bytes, at most %d", len(data), MaxFileSize)})
		return nil
	}
	tokens := lexer.Tokenize(string(data))
	if fe, ok := checkTokens(file, tokens); !ok {
		errs.Add(fe)
		return nil
	}
	// Duplicate keys are the decoder's to report, with both lines.
	f, perr := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		errs.Add(syntaxError(file, perr))
		return nil
	}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc.Body)
		}
	}
	if len(docs) == 0 {
		msg := "empty file"
		if opt.What != "" {
			msg += ": want " + opt.What
		}
		errs.Add(Error{File: file, Line: 1, Column: 1, Msg: msg})
		return nil
	}
	if len(docs) > 1 {
		p := posOf(docs[1])
		errs.Add(Error{File: file, Line: p.Line, Column: p.Column, Msg: "more than one YAML document: one per file"})
	}
	return docs[0]
}

// syntaxError turns a YAML parser error into a positioned Error.
func syntaxError(file string, err error) Error {
	fe := Error{File: file, Line: 1, Column: 1, Msg: "YAML syntax: " + err.Error()}
	var te interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &te) {
		fe.Msg = "YAML syntax: " + te.GetMessage()
		if tk := te.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line > 0 {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return fe
}

// checkTokens enforces MaxTokens and MaxFlowDepth before parsing.
func checkTokens(file string, tokens token.Tokens) (Error, bool) {
	at := func(tk *token.Token, format string, args ...any) Error {
		fe := Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
		if tk != nil && tk.Position != nil && tk.Position.Line > 0 {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
		}
		return fe
	}
	if len(tokens) > MaxTokens {
		return at(tokens[MaxTokens], "file too complex: more than %d YAML tokens", MaxTokens), false
	}
	depth := 0
	for _, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			depth++
			if depth > MaxFlowDepth {
				return at(tk, "nested deeper than %d levels", MaxFlowDepth), false
			}
		case token.SequenceEndType, token.MappingEndType:
			depth--
		}
	}
	return Error{}, true
}

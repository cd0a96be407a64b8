package experiments

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on what Parse reads. The YAML parser's time grows faster than
// linearly with the tokens of one mapping and with flow nesting, so bound
// both; a real experiment has a few thousand tokens at most.
const (
	MaxFileSize  = 1 << 20
	MaxTokens    = 16384
	MaxFlowDepth = 64
)

// Load reads and parses an experiment file. A file that cannot be read is
// a plain wrapped error; an invalid file is an *ErrorList.
func Load(path string) (*Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load experiment: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates one experiment. file names the source in
// errors. On any problem it returns nil and an *ErrorList holding every
// problem found, each with its line, column and field path.
func Parse(file string, data []byte) (exp *Experiment, err error) {
	errs := &ErrorList{}
	defer func() {
		// The YAML parser is third-party code; a bug there must become an
		// error for this file, not a crash of the injector.
		if r := recover(); r != nil {
			exp = nil
			errs.add(FieldError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("cannot parse: internal error: %v", r)})
			err = errs.err()
		}
	}()
	e, d := decodeFile(file, data, errs)
	if e == nil {
		return nil, errs.err()
	}
	v := &validator{file: file, errs: errs, exp: e, dec: d}
	v.run()
	if err := errs.err(); err != nil {
		return nil, err
	}
	e.addAbortProbes()
	e.parseBounds()
	return e, nil
}

// decodeFile parses the YAML and decodes it into an Experiment; it returns
// nil when the file is not even a YAML mapping.
func decodeFile(file string, data []byte, errs *ErrorList) (*Experiment, *decoder) {
	if len(data) > MaxFileSize {
		errs.add(FieldError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file too large: %d bytes, at most %d", len(data), MaxFileSize)})
		return nil, nil
	}
	tokens := lexer.Tokenize(string(data))
	if fe, ok := checkTokens(file, tokens); !ok {
		errs.add(fe)
		return nil, nil
	}
	f, perr := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		errs.add(syntaxError(file, perr))
		return nil, nil
	}
	d := newDecoder(file, errs)
	var docs []int
	for i, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, i)
		}
	}
	if len(docs) == 0 {
		errs.add(FieldError{File: file, Line: 1, Column: 1, Msg: "empty file: want an experiment (version: 1, name, ...)"})
		return nil, nil
	}
	if len(docs) > 1 {
		p := posOf(f.Docs[docs[1]].Body)
		errs.add(FieldError{File: file, Line: p.Line, Column: p.Column, Msg: "more than one YAML document: one experiment per file"})
	}
	body := f.Docs[docs[0]].Body
	e := &Experiment{File: file}
	d.pos[""] = posOf(body)
	d.decode(body, reflect.ValueOf(e).Elem(), "")
	e.ProbeOrder = d.order["probes"]
	for i, s := range e.Steps {
		if s != nil {
			s.Line = d.pos[fmt.Sprintf("steps[%d]", i)].Line
		}
	}
	for i := range e.Verify {
		e.Verify[i].Line = d.pos[fmt.Sprintf("verify[%d]", i)].Line
	}
	for i := range e.SteadyState {
		e.SteadyState[i].Line = d.pos[fmt.Sprintf("steadyState[%d]", i)].Line
	}
	return e, d
}

// syntaxError turns a YAML parser error into a positioned FieldError.
func syntaxError(file string, err error) FieldError {
	fe := FieldError{File: file, Line: 1, Column: 1, Msg: "YAML syntax: " + err.Error()}
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
func checkTokens(file string, tokens token.Tokens) (FieldError, bool) {
	at := func(tk *token.Token, format string, args ...any) FieldError {
		fe := FieldError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
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
	return FieldError{}, true
}

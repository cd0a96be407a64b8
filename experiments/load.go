package experiments

import (
	"fmt"
	"os"
	"reflect"
	"sort"

	"github.com/faultline/faultline/internal/strictyaml"
)

// Limits on what Parse reads (see strictyaml).
const (
	MaxFileSize  = strictyaml.MaxFileSize
	MaxTokens    = strictyaml.MaxTokens
	MaxFlowDepth = strictyaml.MaxFlowDepth
)

// FieldError and ErrorList are the loader's error types, shared by every
// file the project reads (experiments, game days, lab topologies).
type (
	FieldError = strictyaml.Error
	ErrorList  = strictyaml.ErrorList
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
func Parse(file string, data []byte) (*Experiment, error) {
	e := &Experiment{File: file}
	doc, ok := strictyaml.Decode(file, data, e, YAMLOptions("an experiment (version: 1, name, ...)"))
	if !ok {
		return nil, doc.Errs.Err()
	}
	e.ProbeOrder = doc.Order("probes")
	for i, s := range e.Steps {
		if s != nil {
			s.Line = doc.At(fmt.Sprintf("steps[%d]", i)).Line
		}
	}
	for i := range e.Verify {
		e.Verify[i].Line = doc.At(fmt.Sprintf("verify[%d]", i)).Line
	}
	for i := range e.SteadyState {
		e.SteadyState[i].Line = doc.At(fmt.Sprintf("steadyState[%d]", i)).Line
	}
	v := &validator{file: file, errs: doc.Errs, exp: e, doc: doc}
	v.run()
	if err := doc.Errs.Err(); err != nil {
		return nil, err
	}
	e.addAbortProbes()
	e.parseBounds()
	return e, nil
}

// YAMLOptions decode the format's own value types wherever they appear
// (game days write durations and probes too); what names the file's
// content for an empty file.
func YAMLOptions(what string) strictyaml.Options {
	return strictyaml.Options{
		What:  what,
		Types: map[reflect.Type]func(strictyaml.Node, reflect.Value){durationType: decodeDuration},
	}
}

var durationType = reflect.TypeOf(Duration(0))

func decodeDuration(n strictyaml.Node, v reflect.Value) {
	s, ok := n.Scalar()
	if !ok {
		n.Failf("want a duration such as 150ms or 2s, got %s", n.Describe())
		return
	}
	if i, isInt := s.Int(); isInt && i == 0 {
		v.SetInt(0)
		return
	}
	if s.Kind != "string" {
		n.Failf("bad duration %s: want a number with a unit, e.g. 150ms, 2s, 1m", s.Text)
		return
	}
	dur, err := ParseDuration(s.Text)
	if err != nil {
		n.Failf("%v", err)
		return
	}
	v.SetInt(int64(dur))
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

// joinPath builds field paths such as "steps[1].with.period".
func joinPath(parent, key string) string { return strictyaml.JoinPath(parent, key) }

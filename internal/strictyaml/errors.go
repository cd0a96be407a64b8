// Package strictyaml decodes the project's YAML files (experiments, game
// days, lab topologies) strictly: unknown fields, duplicate keys and wrong
// types are errors, every error names file:line:column and the field's
// path, and one pass reports them all. It also keeps where every field was
// written, so that the loaders' own checks can point at it too.
package strictyaml

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a file. Line and Column are 1-based; 0
// means the position is unknown (a value built in code).
type Error struct {
	File   string
	Line   int
	Column int
	// Field is the path of the offending field, e.g. "steps[1].with.period";
	// empty for syntax errors.
	Field string
	Msg   string
}

func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one file, reported at once.
type ErrorList struct {
	Errors []Error
}

// Error prints one "file:line:col: field: msg" per line, sorted by position.
func (l *ErrorList) Error() string {
	l.Sort()
	lines := make([]string, len(l.Errors))
	for i, e := range l.Errors {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the errors by position; errors at one position keep their order.
func (l *ErrorList) Sort() {
	sort.SliceStable(l.Errors, func(i, j int) bool {
		a, b := l.Errors[i], l.Errors[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Add appends one error.
func (l *ErrorList) Add(e Error) { l.Errors = append(l.Errors, e) }

// Err returns the list as an error, or nil when it is empty.
func (l *ErrorList) Err() error {
	if len(l.Errors) == 0 {
		return nil
	}
	l.Sort()
	return l
}

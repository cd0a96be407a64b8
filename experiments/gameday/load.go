package gameday

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/robfig/cron/v3"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
)

// GameDay is a loaded game-day file with every experiment resolved,
// overrides applied and validated.
type GameDay struct {
	File *File
	// Path of the game-day file.
	Path string
	// Experiments in run order.
	Experiments []*experiments.Experiment
	Window      *Window       // nil: any time
	Schedule    cron.Schedule // nil: no schedule
	Requires    []*experiments.Probe
}

var gameDayName = regexp.MustCompile(`^[a-z0-9-]+$`)

// Load reads, decodes and validates a game-day file and every experiment
// it names. An invalid file is an *experiments.ErrorList naming file,
// line, column and field of every problem found.
func Load(path string) (*GameDay, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load game day: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; relative experiment paths resolve
// against the directory of path.
func Parse(path string, data []byte) (*GameDay, error) {
	pos, perr := newPositions(path, data)
	if perr != nil {
		return nil, errList(perr.(experiments.FieldError))
	}
	var f File
	var errs []experiments.FieldError
	bad := func(e experiments.FieldError) { errs = append(errs, e) }
	body, cerr := withoutBadCooldown(pos, data)
	if cerr != nil {
		bad(*cerr)
	}
	var derr error
	if body != nil {
		derr = yaml.NodeToValue(body, &f, yaml.Strict())
	} else {
		derr = yaml.UnmarshalWithOptions(data, &f, yaml.Strict())
	}
	if derr != nil {
		return nil, errList(pos.yamlError(derr))
	}
	gd := &GameDay{File: &f, Path: path}

	if f.Version != 1 {
		bad(pos.errorf("version", "unsupported version %d (want 1)", f.Version))
	}
	if !gameDayName.MatchString(f.Name) {
		bad(pos.errorf("name", "name %q: want lower-case letters, digits and dashes", f.Name))
	}
	if len(f.Experiments) == 0 {
		bad(pos.errorf("experiments", "no experiments: list paths or globs relative to this file"))
	}
	seen := map[string]string{}
	for i, e := range f.Experiments {
		field := fmt.Sprintf("experiments[%d]", i)
		exps, eerrs := resolveEntry(path, pos, field, e)
		errs = append(errs, eerrs...)
		for _, exp := range exps {
			if prev, dup := seen[exp.Name]; dup {
				bad(pos.errorf(field, "experiment name %q (%s) is already used by %s: names must be unique in a game day", exp.Name, exp.File, prev))
				continue
			}
			seen[exp.Name] = exp.File
			gd.Experiments = append(gd.Experiments, exp)
		}
	}
	if f.Window != nil {
		w, werrs := parseWindow(pos, f.Window)
		errs = append(errs, werrs...)
		gd.Window = w
	}
	names := map[string]bool{}
	for i := range f.Requires {
		r := &f.Requires[i]
		field := fmt.Sprintf("requires[%d]", i)
		switch {
		case r.Name == "":
			bad(pos.errorf(field, "requires entry without a name"))
		case names[r.Name]:
			bad(pos.errorf(field+".name", "duplicate requires name %q", r.Name))
		}
		names[r.Name] = true
		if r.For.D() <= 0 {
			bad(pos.errorf(field, "for: want a duration > 0 the probe must be ok continuously"))
		}
		for _, k := range r.unknown {
			bad(keyErrorf(pos, field+"."+k, "unknown field %q (known: name, for, within, every, netns, %s)", k, strings.Join(probes.Names(), ", ")))
		}
		if r.Kind == "" {
			bad(pos.errorf(field, "want exactly one probe kind (%s)", strings.Join(probes.Names(), ", ")))
		} else if _, err := probes.NewSpec(r.Probe.Def(r.Name)); err != nil {
			var pe *probes.ParamError
			if errors.As(err, &pe) && pe.Param != "" {
				bad(pos.errorf(field+"."+r.Kind+"."+pe.Param, "%s", pe.Msg))
			} else {
				bad(pos.errorf(field, "%v", err))
			}
		}
	}
	if f.Schedule != "" {
		s, err := ParseSchedule(f.Schedule, gd.Window)
		if err != nil {
			bad(pos.errorf("schedule", "%v", err))
		}
		gd.Schedule = s
	}
	if f.Notify != nil {
		u, err := url.Parse(f.Notify.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(pos.errorf("notify.webhook", "webhook %q: want an http or https URL", f.Notify.Webhook))
		}
	}
	if len(errs) > 0 {
		l := &experiments.ErrorList{Errors: errs}
		l.Sort()
		return nil, l
	}
	return gd, nil
}

// withoutBadCooldown checks cooldown on its own: a bad one (negative, no
// unit) would fail the strict decode of the whole file and hide every
// other error. It returns the document without a bad cooldown (to decode
// the rest) and the error at the cooldown's position; a nil document
// means "decode the bytes as they are".
func withoutBadCooldown(pos *positions, data []byte) (ast.Node, *experiments.FieldError) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil || len(file.Docs) == 0 || file.Docs[0] == nil {
		return nil, nil
	}
	m, ok := file.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil, nil
	}
	for i, kv := range m.Values {
		if kv.Key.String() != "cooldown" {
			continue
		}
		var d experiments.Duration
		if err := d.UnmarshalYAML([]byte(kv.Value.String())); err != nil {
			fe := pos.errorf("cooldown", "%v", err)
			m.Values = append(m.Values[:i:i], m.Values[i+1:]...)
			return m, &fe
		}
		return nil, nil
	}
	return nil, nil
}

// keyErrorf is errorf at a field's key, where an unknown field is reported.
func keyErrorf(p *positions, path, format string, args ...any) experiments.FieldError {
	fe := p.errorf(path, format, args...)
	for _, pl := range p.places {
		if pl.path == path && (pl.line < fe.Line || pl.line == fe.Line && pl.column < fe.Column) {
			fe.Line, fe.Column = pl.line, pl.column
		}
	}
	return fe
}

func errList(e experiments.FieldError) error {
	return &experiments.ErrorList{Errors: []experiments.FieldError{e}}
}

// resolveEntry expands an entry's path or glob (relative to the game-day
// file) and loads each match with the entry's overrides applied.
func resolveEntry(gdPath string, pos *positions, field string, e Entry) ([]*experiments.Experiment, []experiments.FieldError) {
	pathField := field
	if len(e.Overrides) > 0 {
		pathField = field + ".path"
	}
	if e.Path == "" {
		return nil, []experiments.FieldError{pos.errorf(field, "want a path or glob of experiment files")}
	}
	pattern := e.Path
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(gdPath), pattern)
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, []experiments.FieldError{pos.errorf(pathField, "bad glob %q: %v", e.Path, err)}
	}
	if len(matches) == 0 {
		return nil, []experiments.FieldError{pos.errorf(pathField, "%q matches no file", e.Path)}
	}
	if ferr := checkOverrideKeys(pos, field, e.Overrides); len(ferr) > 0 {
		return nil, ferr
	}
	var out []*experiments.Experiment
	var errs []experiments.FieldError
	for _, m := range matches {
		exp, err := loadWithOverrides(m, e.Overrides, pos.file)
		if err != nil {
			errs = append(errs, asFieldErrors(err, pos, pathField)...)
			continue
		}
		out = append(out, exp)
	}
	return out, errs
}

// asFieldErrors keeps an experiment's own positioned errors, and pins any
// other error on the game-day field that named the file.
func asFieldErrors(err error, pos *positions, field string) []experiments.FieldError {
	if l, ok := err.(*experiments.ErrorList); ok {
		return l.Errors
	}
	return []experiments.FieldError{pos.errorf(field, "%v", err)}
}

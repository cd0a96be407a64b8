package gameday

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/robfig/cron/v3"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/strictyaml"
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

var gameDayName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9-]+$`) })

// Load reads, decodes and validates a game-day file and every experiment
// it names. An invalid file is an *experiments.ErrorList naming file,
// line, column and field of every problem found, in the game day and in
// the experiments it names.
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
	var f File
	doc, ok := strictyaml.Decode(path, data, &f, experiments.YAMLOptions("a game day (version: 1, name, experiments)"))
	if !ok {
		return nil, doc.Errs.Err()
	}
	gd := &GameDay{File: &f, Path: path}

	if f.Version != 1 {
		doc.Errorf("version", "unsupported version %d (want 1)", f.Version)
	}
	if !gameDayName().MatchString(f.Name) {
		doc.Errorf("name", "name %q: want lower-case letters, digits and dashes", f.Name)
	}
	if len(f.Experiments) == 0 {
		doc.Errorf("experiments", "no experiments: list paths or globs relative to this file")
	}
	seen := map[string]string{}
	for i, e := range f.Experiments {
		field := fmt.Sprintf("experiments[%d]", i)
		for _, exp := range resolveEntry(path, doc, field, e) {
			if prev, dup := seen[exp.Name]; dup {
				doc.Errorf(field, "experiment name %q (%s) is already used by %s: names must be unique in a game day", exp.Name, exp.File, prev)
				continue
			}
			seen[exp.Name] = exp.File
			gd.Experiments = append(gd.Experiments, exp)
		}
	}
	if f.Window != nil {
		gd.Window = parseWindow(doc, f.Window)
	}
	checkRequiresEntries(doc, f.Requires)
	if f.Schedule != "" {
		s, err := ParseSchedule(f.Schedule, gd.Window)
		if err != nil {
			doc.Errorf("schedule", "%v", err)
		}
		gd.Schedule = s
	}
	if f.Notify != nil {
		u, err := url.Parse(f.Notify.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			doc.Errorf("notify.webhook", "webhook %q: want an http or https URL", f.Notify.Webhook)
		}
	}
	if err := doc.Errs.Err(); err != nil {
		return nil, err
	}
	return gd, nil
}

// checkRequiresEntries checks each requires entry: a unique name, a
// positive `for` and one probe kind with parameters the kind accepts.
func checkRequiresEntries(doc *strictyaml.Doc, reqs []Require) {
	names := map[string]bool{}
	for i := range reqs {
		r := &reqs[i]
		field := fmt.Sprintf("requires[%d]", i)
		switch {
		case r.Name == "":
			doc.Errorf(field, "requires entry without a name")
		case names[r.Name]:
			doc.Errorf(field+".name", "duplicate requires name %q", r.Name)
		}
		names[r.Name] = true
		if r.For.D() <= 0 {
			doc.Errorf(field, "for: want a duration > 0 the probe must be ok continuously")
		}
		if doc.Written(field + ".on") {
			doc.KeyErrorf(field+".on", "unknown field \"on\": a required probe runs on this machine")
		}
		if r.Kind == "" {
			doc.Errorf(field, "want exactly one probe kind (%s)", strings.Join(probes.Names(), ", "))
		} else if _, err := probes.NewSpec(r.Probe.Def(r.Name)); err != nil {
			var pe *probes.ParamError
			if errors.As(err, &pe) && pe.Param != "" {
				doc.Errorf(field+"."+r.Kind+"."+pe.Param, "%s", pe.Msg)
			} else {
				doc.Errorf(field, "%v", err)
			}
		}
	}
}

// resolveEntry expands an entry's path or glob (relative to the game-day
// file) and loads each match with the entry's overrides applied.
func resolveEntry(gdPath string, doc *strictyaml.Doc, field string, e Entry) []*experiments.Experiment {
	pathField := field
	if len(e.Overrides) > 0 {
		pathField = field + ".path"
	}
	if e.Path == "" {
		doc.Errorf(field, "want a path or glob of experiment files")
		return nil
	}
	pattern := e.Path
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(gdPath), pattern)
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		doc.Errorf(pathField, "bad glob %q: %v", e.Path, err)
		return nil
	}
	if len(matches) == 0 {
		doc.Errorf(pathField, "%q matches no file", e.Path)
		return nil
	}
	if !checkOverrideKeys(doc, field, e.Overrides) {
		return nil
	}
	var out []*experiments.Experiment
	for _, m := range matches {
		exp, err := loadWithOverrides(m, e.Overrides, doc.File)
		if err != nil {
			// An experiment's own errors name its file; any other error is
			// pinned on the game-day field that named the file.
			if l, ok := err.(*experiments.ErrorList); ok {
				doc.Errs.Errors = append(doc.Errs.Errors, l.Errors...)
			} else {
				doc.Errorf(pathField, "%v", err)
			}
			continue
		}
		out = append(out, exp)
	}
	return out
}

package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/measure"
)

// Run is a journal read back.
type Run struct {
	Path    string
	Header  Header
	Phases  map[string]time.Duration
	Steps   []StepRec // every step event, in journal order
	Samples map[string][]measure.Sample
	Aborts  []AbortRec
	Hosts   []HostRec // remote hosts, in journal order
	End     *EndRec
	// Truncated is set when the last line was incomplete (a run still
	// writing, or one that was killed).
	Truncated bool
	// Torn counts lines skipped as torn (at most one); Warnings say which.
	Torn     int
	Warnings []string

	lines map[string][]*samplesLine // per probe, decoded at the end into one slice
}

// ReadFile reads a journal file.
func ReadFile(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	r.Path = path
	return r, nil
}

// Read parses a journal. One torn line is tolerated: the last line, when
// it is incomplete (a run still writing, or one killed mid-write), or a
// complete line that does not parse and is followed only by step records
// (a run killed mid-write, whose journal recover or the guard appended to
// since). It is skipped and counted in Torn and Warnings. Any other bad
// line is an error naming its line number.
func Read(in io.Reader) (*Run, error) {
	r := &Run{Phases: map[string]time.Duration{}, Samples: map[string][]measure.Sample{},
		lines: map[string][]*samplesLine{}}
	br := bufio.NewReaderSize(in, 1<<20)
	lineNo := 0
	var torn error // the skipped line's error, while only appended steps follow it
	tornLine := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			complete := line[len(line)-1] == '\n'
			line = bytes.TrimSpace(line)
			if len(line) > 0 {
				if torn != nil && !isStepLine(line) {
					return nil, fmt.Errorf("line %d: %w", tornLine, torn)
				}
				if perr := r.parseLine(line); perr != nil {
					switch {
					case torn != nil:
						return nil, fmt.Errorf("line %d: %w", tornLine, torn)
					case !complete:
						r.Truncated = true
						r.torn(lineNo, "incomplete last line")
					default:
						torn, tornLine = perr, lineNo
						r.torn(lineNo, "torn line (a write cut short): "+perr.Error())
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Header.Run == "" {
		return nil, fmt.Errorf("no run header: not a faultline journal")
	}
	// One allocation per probe: appending line by line would copy an
	// hour of 1 kHz samples several times over.
	for p, ls := range r.lines {
		n := 0
		for _, l := range ls {
			n += len(l.K)
		}
		all := make([]measure.Sample, n)
		at := 0
		for _, l := range ls {
			l.decodeInto(all[at : at+len(l.K)])
			at += len(l.K)
		}
		r.Samples[p] = all
	}
	r.lines = nil
	for p := range r.Samples {
		s := r.Samples[p]
		// Samples of one probe are written in order; sort only if not.
		if !slices.IsSortedFunc(s, byStart) {
			slices.SortStableFunc(s, byStart)
		}
	}
	return r, nil
}

func (r *Run) torn(line int, why string) {
	r.Torn++
	r.Warnings = append(r.Warnings, fmt.Sprintf("line %d skipped: %s", line, why))
}

// isStepLine peeks whether a line is a step record (what recover and the
// guard append).
func isStepLine(line []byte) bool {
	var env envelope
	return json.Unmarshal(line, &env) == nil && env.T == "step"
}

func (r *Run) parseLine(line []byte) error {
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return err
	}
	switch env.T {
	case "run":
		if err := json.Unmarshal(line, &r.Header); err != nil {
			return err
		}
		if r.Header.Format > FormatVersion {
			return fmt.Errorf("journal format %d is newer than this faultline reads (%d)", r.Header.Format, FormatVersion)
		}
	case "phase":
		var p PhaseRec
		if err := json.Unmarshal(line, &p); err != nil {
			return err
		}
		r.Phases[p.Name] = p.At
	case "step":
		var s StepRec
		if err := json.Unmarshal(line, &s); err != nil {
			return err
		}
		r.Steps = append(r.Steps, s)
	case "s":
		l, err := parseSamplesLine(line)
		if err != nil {
			return err
		}
		if err := l.check(); err != nil {
			return err
		}
		r.lines[l.P] = append(r.lines[l.P], l)
	case "abort":
		var a AbortRec
		if err := json.Unmarshal(line, &a); err != nil {
			return err
		}
		r.Aborts = append(r.Aborts, a)
	case "host":
		var h HostRec
		if err := json.Unmarshal(line, &h); err != nil {
			return err
		}
		r.Hosts = append(r.Hosts, h)
	case "end":
		var e EndRec
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		r.End = &e
	default:
		// Unknown record types from newer writers are skipped.
	}
	return nil
}

// OpenUndo is an undo record with no matching revert.
type OpenUndo struct {
	Step   string
	Undo   faults.Undo
	Revert string // auto | never
}

// OpenUndos lists prepared faults that were not reverted, in reverse
// preparation order (the order to revert them in).
func (r *Run) OpenUndos() []OpenUndo {
	reverted := map[string]bool{}
	for _, s := range r.Steps {
		if s.Ev == EvReverted {
			reverted[s.Step] = true
		}
	}
	var out []OpenUndo
	for i := len(r.Steps) - 1; i >= 0; i-- {
		s := r.Steps[i]
		if s.Ev == EvPrepared && s.Undo != nil && !reverted[s.Step] {
			out = append(out, OpenUndo{Step: s.Step, Undo: *s.Undo, Revert: s.Revert})
			reverted[s.Step] = true
		}
	}
	return out
}

func byStart(a, b measure.Sample) int {
	switch {
	case a.Start < b.Start:
		return -1
	case a.Start > b.Start:
		return 1
	}
	return 0
}

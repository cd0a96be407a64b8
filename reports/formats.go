package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is one report format: how `faultline report --format NAME`
// renders a run, and the file a run (and a game day) writes it to.
type Format struct {
	Name        string
	Aliases     []string
	File        string // written beside the journal after every run
	ContentType string
	// Write renders r; with a baseline it adds the comparison, or returns
	// ErrNoBaseline when the format cannot show one.
	Write func(w io.Writer, r *Report, o Options) error
}

// Options of a rendering.
type Options struct {
	// Baseline compares the run with an earlier one (faultline report --baseline).
	Baseline *Comparison
}

// ErrNoBaseline: the format cannot show a comparison with a baseline.
var ErrNoBaseline = errors.New("this format cannot show a baseline")

// formats is the one table of report formats; a new format is a row here
// and its renderer.
var formats = []Format{
	{Name: "json", File: "report.json", ContentType: "application/json", Write: func(w io.Writer, r *Report, o Options) error {
		if o.Baseline != nil {
			return WriteCompareJSON(w, o.Baseline)
		}
		return WriteJSON(w, r)
	}},
	{Name: "junit", File: "junit.xml", ContentType: "application/xml", Write: func(w io.Writer, r *Report, o Options) error {
		if o.Baseline != nil {
			return ErrNoBaseline
		}
		return WriteJUnit(w, "faultline", r)
	}},
	{Name: "markdown", Aliases: []string{"md"}, File: "summary.md", ContentType: "text/markdown; charset=utf-8", Write: func(w io.Writer, r *Report, o Options) error {
		if err := WriteMarkdown(w, r); err != nil || o.Baseline == nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		return WriteCompareMarkdown(w, o.Baseline)
	}},
	{Name: "html", File: "report.html", ContentType: "text/html; charset=utf-8", Write: func(w io.Writer, r *Report, o Options) error {
		return WriteHTML(w, r, HTMLOptions{Baseline: o.Baseline})
	}},
}

// Formats lists the report formats in the order runs write them.
func Formats() []Format { return append([]Format(nil), formats...) }

// FormatNames lists the formats' names, for help and errors.
func FormatNames() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.Name
	}
	return out
}

// LookupFormat finds a format by name or alias.
func LookupFormat(name string) (Format, error) {
	for _, f := range formats {
		if f.Name == name {
			return f, nil
		}
		for _, a := range f.Aliases {
			if a == name {
				return f, nil
			}
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (%s)", name, strings.Join(FormatNames(), ", "))
}

// WriteFiles writes every format's file for one run into dir and returns
// the names written. writeFile creates one file (nil: os.Create and write);
// a game day passes one that writes through a temporary file.
func WriteFiles(dir string, r *Report, writeFile func(path string, fn func(io.Writer) error) error) ([]string, error) {
	if writeFile == nil {
		writeFile = createFile
	}
	var written []string
	var errs []error
	for _, f := range formats {
		if err := writeFile(filepath.Join(dir, f.File), func(w io.Writer) error { return f.Write(w, r, Options{}) }); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.File, err))
			continue
		}
		written = append(written, f.File)
	}
	return written, errors.Join(errs...)
}

func createFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

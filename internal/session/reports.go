package session

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/faultline/faultline/reports"
)

// WriteReports writes one run's reports into dir and returns the names of
// the files written.
func WriteReports(dir string, rep *reports.Report) ([]string, error) {
	files := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{"report.json", func(w io.Writer) error { return reports.WriteJSON(w, rep) }},
		{"junit.xml", func(w io.Writer) error { return reports.WriteJUnit(w, "faultline", rep) }},
		{"summary.md", func(w io.Writer) error { return reports.WriteMarkdown(w, rep) }},
		{"report.html", func(w io.Writer) error { return reports.WriteHTML(w, rep, reports.HTMLOptions{}) }},
	}
	var written []string
	var errs []error
	for _, f := range files {
		if err := WriteFile(filepath.Join(dir, f.name), f.fn); err != nil {
			errs = append(errs, err)
			continue
		}
		written = append(written, f.name)
	}
	return written, errors.Join(errs...)
}

// WriteFile writes through a temporary file and renames it, so a reader
// (a game day's history page) never sees half a file.
func WriteFile(path string, fn func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

package gameday

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/faultline/faultline/internal/session"
	"github.com/faultline/faultline/reports"
)

// writeFile writes through a temporary file and renames it, so a reader
// (the history page) never sees half a file.
func writeFile(path string, fn func(io.Writer) error) error { return session.WriteFile(path, fn) }

// WriteIndex writes the game day's index.html, summary.md, summary.json
// and merged junit.xml into dir. summary.json is written last: its
// presence marks a finished game day in a history directory.
func WriteIndex(dir string, s *Summary) error {
	return errors.Join(
		writeFile(filepath.Join(dir, "junit.xml"), func(w io.Writer) error {
			return reports.WriteJUnit(w, "faultline gameday "+s.GameDay, s.Reports...)
		}),
		writeFile(filepath.Join(dir, "summary.md"), func(w io.Writer) error { return WriteMarkdown(w, s) }),
		writeFile(filepath.Join(dir, "index.html"), func(w io.Writer) error { return WriteHTMLIndex(w, s, dir) }),
		writeFile(filepath.Join(dir, "summary.json"), func(w io.Writer) error { return WriteJSON(w, s) }),
	)
}

// WriteJSON writes the summary as indented JSON.
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// ReadSummary reads a summary.json.
func ReadSummary(path string) (*Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

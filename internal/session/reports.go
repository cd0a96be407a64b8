package session

import (
	"io"
	"os"

	"github.com/faultline/faultline/reports"
)

// WriteReports writes every report format of one run into dir (through
// WriteFile) and returns the names of the files written.
func WriteReports(dir string, rep *reports.Report) ([]string, error) {
	return reports.WriteFiles(dir, rep, WriteFile)
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

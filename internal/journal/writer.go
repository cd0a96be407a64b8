package journal

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/measure"
)

// Writer appends records to a journal. It is safe for concurrent use.
// Samples are buffered and written one line per probe per second; step
// records that carry undo information are written and fsync'd at once.
type Writer struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	w       *bufio.Writer
	batches map[string]*sampleBatch
	every   map[string]time.Duration
	err     error
}

// Create makes a new journal file (its directory too).
func Create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// Only its owner reads it: it holds undo records, domain XML and
	// command output.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Writer{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10),
		batches: map[string]*sampleBatch{}, every: map[string]time.Duration{}}, nil
}

// Path is the journal's file.
func (w *Writer) Path() string { return w.path }

// SetInterval tells the encoder a probe's nominal interval (it makes the
// start deltas small).
func (w *Writer) SetInterval(probe string, every time.Duration) {
	w.mu.Lock()
	w.every[probe] = every
	w.mu.Unlock()
}

func (w *Writer) writeLocked(v any) error {
	if w.err != nil {
		return w.err
	}
	b, err := marshalLine(v)
	if err != nil {
		return err
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("journal write: %w", err)
	}
	return w.err
}

func (w *Writer) syncLocked() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("journal flush: %w", err)
		return w.err
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("journal fsync: %w", err)
	}
	return w.err
}

// Record writes any record; durable ones are flushed and fsync'd.
func (w *Writer) Record(v any, durable bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeLocked(v); err != nil {
		return err
	}
	if durable {
		return w.syncLocked()
	}
	return nil
}

// Header writes the header record, durably.
func (w *Writer) Header(h Header) error {
	h.T, h.Format = "run", FormatVersion
	return w.Record(h, true)
}

// Phase marks a phase boundary.
func (w *Writer) Phase(name string, at time.Duration) error {
	return w.Record(PhaseRec{T: "phase", Name: name, At: at}, false)
}

// Step writes a step event; prepared and reverted records are fsync'd.
func (w *Writer) Step(r StepRec) error {
	r.T = "step"
	return w.Record(r, r.Ev == EvPrepared || r.Ev == EvReverted || r.Ev == EvInjected)
}

// Abort records a stop condition.
func (w *Writer) Abort(at time.Duration, reason string) error {
	return w.Record(AbortRec{T: "abort", At: at, Reason: reason}, true)
}

// Sample adds one sample; samples of one probe must arrive in Start order.
func (w *Writer) Sample(probe string, s measure.Sample) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sec := int64(s.Start / time.Second)
	b := w.batches[probe]
	if b == nil {
		b = &sampleBatch{probe: probe, interval: w.every[probe].Microseconds(), sec: sec}
		w.batches[probe] = b
	}
	if sec != b.sec && len(b.samples) > 0 {
		w.flushBatchLocked(b)
	}
	b.sec = sec
	b.samples = append(b.samples, s)
}

func (w *Writer) flushBatchLocked(b *sampleBatch) {
	if len(b.samples) == 0 {
		return
	}
	line, err := b.line()
	if err == nil && w.err == nil {
		if _, err = w.w.Write(line); err != nil {
			w.err = fmt.Errorf("journal write: %w", err)
		}
	}
	b.samples = b.samples[:0]
}

// FlushSamples writes every pending sample line and flushes the buffer, so
// that a reader sees everything up to now.
func (w *Writer) FlushSamples() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range w.batches {
		w.flushBatchLocked(b)
	}
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes out the buffer (complete sample lines only).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// End writes the end record and closes the journal.
func (w *Writer) End(at time.Duration, status string, exit int, errText string) error {
	if err := w.FlushSamples(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeLocked(EndRec{T: "end", At: at, Status: status, Exit: exit, Error: errText}); err != nil {
		return err
	}
	if err := w.syncLocked(); err != nil {
		return err
	}
	return w.f.Close()
}

// Close flushes and closes without an end record (used on a crash path).
func (w *Writer) Close() error {
	_ = w.FlushSamples()
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.syncLocked()
	return w.f.Close()
}

// AppendStep appends one durable step record to an existing journal (used
// by recover and the guard, which do not own the journal's Writer). When
// the file does not end in a newline (its writer died mid-line), the
// record starts a line of its own: the torn line stays one line, which
// readers skip. The file is never followed through a symbolic link.
func AppendStep(path string, r StepRec) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	r.T = "step"
	b, err := marshalLine(r)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			b = append([]byte{'\n'}, b...)
		}
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("journal append: %w", err)
	}
	return f.Sync()
}

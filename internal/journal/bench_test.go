package journal_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
)

// BenchmarkHourAt1kHz writes one hour of one probe sampled every 1 ms
// (3.6 million samples, HTTP-like latencies of 100-400 µs, 0.1% failures)
// and reports the journal's size in MB (goal: about 30 MB or less).
func BenchmarkHourAt1kHz(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		w, err := journal.Create(filepath.Join(dir, "j.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		_ = w.Header(header())
		w.SetInterval("web", time.Millisecond)
		for k := 0; k < 3600*1000; k++ {
			jitter := time.Duration((k*7919)%40) * time.Microsecond
			s := measure.Sample{Start: time.Duration(k)*time.Millisecond + jitter, OK: k%1000 != 999, Value: 200,
				Latency: time.Duration(100+(k*104729)%300) * time.Microsecond}
			if !s.OK {
				s.Value, s.Detail = 0, "timeout"
			}
			w.Sample("web", s)
		}
		if err := w.End(time.Hour, journal.StatusPassed, 0, ""); err != nil {
			b.Fatal(err)
		}
		st, _ := os.Stat(w.Path())
		b.ReportMetric(float64(st.Size())/1e6, "MB/hour@1kHz")
	}
}

// BenchmarkReadHourAt1kHz reads back the journal of one hour at 1 kHz.
func BenchmarkReadHourAt1kHz(b *testing.B) {
	dir := b.TempDir()
	w, err := journal.Create(filepath.Join(dir, "j.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	_ = w.Header(header())
	w.SetInterval("web", time.Millisecond)
	for k := 0; k < 3600*1000; k++ {
		s := measure.Sample{Start: time.Duration(k) * time.Millisecond, OK: k%1000 != 999, Value: 200,
			Latency: time.Duration(100+(k*104729)%300) * time.Microsecond}
		if !s.OK {
			s.Value, s.Detail = 0, "timeout"
		}
		w.Sample("web", s)
	}
	if err := w.End(time.Hour, journal.StatusPassed, 0, ""); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run, err := journal.ReadFile(w.Path())
		if err != nil || len(run.Samples["web"]) != 3600*1000 {
			b.Fatalf("read: %v, %d samples", err, len(run.Samples["web"]))
		}
	}
}

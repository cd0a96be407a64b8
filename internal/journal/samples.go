package journal

import (
	"fmt"
	"strconv"
	"time"

	"github.com/faultline/faultline/internal/measure"
)

// samplesLine carries one probe's samples that started within one second.
// It keeps every sample but stays small: starts are microsecond deltas
// from the previous sample minus the probe's interval (mostly 0 or a few
// µs), ok flags are one character each, a value is written only where it differs from the first of the line,
// and a detail is kept only where it changes within a failure run.
// An hour of one probe at 1 kHz is about 25 MB.
type samplesLine struct {
	T string             `json:"t"`
	P string             `json:"p"`
	S int64              `json:"s"`           // second since run start
	I int64              `json:"i"`           // nominal interval, µs
	D []int64            `json:"d"`           // d[0]: µs from second start; then delta-I
	K string             `json:"k"`           // "1" ok, "0" failed
	V float64            `json:"v"`           // the value of the first sample
	X map[string]float64 `json:"x,omitempty"` // sample index -> value, where it differs from v
	L []int64            `json:"l"`           // latency, µs
	E map[string]string  `json:"e,omitempty"` // sample index -> detail
}

// sampleBatch accumulates one probe's current second.
type sampleBatch struct {
	probe    string
	interval int64
	sec      int64
	samples  []measure.Sample
}

func (b *sampleBatch) line() ([]byte, error) {
	n := len(b.samples)
	l := samplesLine{T: "s", P: b.probe, S: b.sec, I: b.interval,
		D: make([]int64, n), L: make([]int64, n)}
	k := make([]byte, n)
	prev := b.sec * 1e6
	lastDetail := ""
	for i, s := range b.samples {
		us := s.Start.Microseconds()
		if i == 0 {
			l.D[i] = us - prev
		} else {
			l.D[i] = us - prev - b.interval
		}
		prev = us
		if s.OK {
			k[i] = '1'
			lastDetail = ""
		} else {
			k[i] = '0'
		}
		if !s.OK && s.Detail != "" && s.Detail != lastDetail {
			if l.E == nil {
				l.E = map[string]string{}
			}
			l.E[strconv.Itoa(i)] = s.Detail
			lastDetail = s.Detail
		}
		if s.Value != b.samples[0].Value {
			if l.X == nil {
				l.X = map[string]float64{}
			}
			l.X[strconv.Itoa(i)] = s.Value
		}
		l.L[i] = s.Latency.Microseconds()
	}
	l.K = string(k)
	if n > 0 {
		l.V = b.samples[0].Value
	}
	return marshalLine(l)
}

// check reports a line whose arrays disagree in length.
func (l *samplesLine) check() error {
	if n := len(l.K); len(l.D) != n || len(l.L) != n {
		return fmt.Errorf("samples line for %s second %d: %d flags, %d starts, %d latencies", l.P, l.S, n, len(l.D), len(l.L))
	}
	return nil
}

// decodeInto expands a checked line into out (len(out) == len(l.K)).
func (l *samplesLine) decodeInto(out []measure.Sample) {
	n := len(l.K)
	prev := l.S * 1e6
	for i := 0; i < n; i++ {
		us := prev + l.D[i]
		if i > 0 {
			us += l.I
		}
		prev = us
		out[i] = measure.Sample{
			Start:   time.Duration(us) * time.Microsecond,
			OK:      l.K[i] == '1',
			Latency: time.Duration(l.L[i]) * time.Microsecond,
			Value:   l.V,
		}
	}
	for k, v := range l.X {
		if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < n {
			out[i].Value = v
		}
	}
	if len(l.E) > 0 {
		details := make([]string, n)
		for k, d := range l.E {
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < n {
				details[i] = d
			}
		}
		// A detail holds for the failed samples after it, until an ok sample.
		last := ""
		for i := range out {
			if details[i] != "" {
				last = details[i]
			}
			if out[i].OK {
				last = ""
			} else {
				out[i].Detail = last
			}
		}
	}
}

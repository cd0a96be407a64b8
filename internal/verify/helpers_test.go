package verify_test

import (
	"strconv"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/measure"
)

const ms = time.Millisecond

// series builds samples starting at from, one every `every`, ok where the
// pattern has '+' and failed where it has '-'.
func series(from, every time.Duration, pattern string) []measure.Sample {
	out := make([]measure.Sample, 0, len(pattern))
	for i, c := range pattern {
		ok := c == '+'
		v := 0.0
		if ok {
			v = 1
		}
		out = append(out, measure.Sample{Start: from + time.Duration(i)*every, OK: ok, Value: v, Latency: ms})
	}
	return out
}

// at builds samples at exact times, ok as given.
func at(ok bool, times ...time.Duration) []measure.Sample {
	out := make([]measure.Sample, 0, len(times))
	for _, t := range times {
		out = append(out, measure.Sample{Start: t, OK: ok, Latency: ms})
	}
	return out
}

func dur(d time.Duration) *experiments.Duration {
	v := experiments.Duration(d)
	return &v
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// exp builds an experiment with the named steps and the given verify entries.
func exp(steps []string, vs ...experiments.Verify) *experiments.Experiment {
	e := &experiments.Experiment{Version: 1, Name: "t", Verify: vs}
	for _, s := range steps {
		e.Steps = append(e.Steps, &experiments.Step{Name: s, Fault: "link.down"})
	}
	return e
}

func experimentsPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

package probes_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/probes"
)

// BenchmarkOutageAccuracy measures how well sampled outages match real
// ones: a client namespace probes an HTTP server in a server namespace over
// a veth pair; the server's link is cut with netlink for a known time, and
// the outage measured from the samples (first failed sample's start to the
// next ok sample's start, as verify does) is compared with it.
//
// Metrics (milliseconds): err-mean / err-min / err-max = measured minus
// true outage; detect-ms = first failed start minus the cut; recover-ms =
// first ok start minus the link's return.
func BenchmarkOutageAccuracy(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root for network namespaces")
	}
	for _, every := range []time.Duration{5 * time.Millisecond, time.Millisecond} {
		b.Run("every="+every.String(), func(b *testing.B) { benchOutage(b, every, 300*time.Millisecond) })
	}
}

func benchOutage(b *testing.B, every, outage time.Duration) {
	client, server := benchNetns(b), benchNetns(b)
	benchJoin(b, client, server)
	serverLink := benchServe(b, server)

	spec, err := probes.NewSpec(named(def("http", probes.HTTPParams{URL: "http://198.18.0.2:8080/"}, every, client), "web"))
	if err != nil {
		b.Fatal(err)
	}

	var errs, detects, recovers []float64
	var spurious, samples int
	var sampled time.Duration
	b.ResetTimer()
	for range b.N {
		rec := &recorder{}
		ctx, cancel := context.WithCancel(context.Background())
		base := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			probes.Run(ctx, base, []probes.Spec{spec}, rec.emit)
		}()

		time.Sleep(200 * time.Millisecond)
		t0 := time.Now()
		setLink(b, server, serverLink, false)
		t1 := time.Now()
		time.Sleep(outage)
		t2 := time.Now()
		setLink(b, server, serverLink, true)
		t3 := time.Now()
		time.Sleep(200 * time.Millisecond)
		cancel()
		<-done

		downAt := mid(t0, t1).Sub(base)
		upAt := mid(t2, t3).Sub(base)
		from, to, n := outages(rec.of("web"))
		if n == 0 {
			ss := rec.of("web")
			b.Fatalf("no outage sampled (%d samples; last %+v)", len(ss), ss[len(ss)-1])
		}
		if n > 1 && spurious == 0 {
			b.Logf("extra outage besides the cut (first of the run): %s", firstFailure(rec.of("web"), downAt, upAt))
		}
		spurious += n - 1
		samples += len(rec.of("web"))
		sampled += time.Since(base)
		errs = append(errs, ms64((to-from)-(upAt-downAt)))
		detects = append(detects, ms64(from-downAt))
		recovers = append(recovers, ms64(to-upAt))
	}
	b.StopTimer()
	b.ReportMetric(mean(errs), "err-mean-ms")
	b.ReportMetric(extreme(errs, 0), "err-min-ms")
	b.ReportMetric(extreme(errs, 1), "err-max-ms")
	b.ReportMetric(mean(detects), "detect-ms")
	b.ReportMetric(mean(recovers), "recover-ms")
	b.ReportMetric(float64(samples)/sampled.Seconds(), "samples/s")
	b.ReportMetric(float64(spurious)/float64(b.N), "extra-outages/op")
}

// outages finds the longest run of failed samples (first failed start to
// the next ok start) and how many runs there were.
func outages(ss []probes.Sample) (from, to time.Duration, n int) {
	open := false
	var f time.Duration
	for _, s := range ss {
		switch {
		case !s.OK && !open:
			open, f = true, s.Start
		case s.OK && open:
			open = false
			n++
			if s.Start-f > to-from {
				from, to = f, s.Start
			}
		}
	}
	return from, to, n
}

// firstFailure describes the first failed sample outside [down, up].
func firstFailure(ss []probes.Sample, down, up time.Duration) string {
	for _, s := range ss {
		if !s.OK && (s.Start < down-s.Latency || s.Start > up) {
			return fmt.Sprintf("at %s, latency %s: %s", s.Start, s.Latency, s.Detail)
		}
	}
	return "none outside the cut"
}

func mid(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// extreme returns the minimum (q=0) or maximum (q=1) of xs.
func extreme(xs []float64, q float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// BenchmarkSamplerLateness runs a no-op probe for one second per op and
// reports how late checks start after their tick (base+k*every) and what
// share of ticks got a sample: the sampler's own timing error, without a
// network in the way. Lateness is Start modulo every, so a check that
// lands past the next tick counts against that tick (and as a lost one).
func BenchmarkSamplerLateness(b *testing.B) {
	for _, every := range []time.Duration{5 * time.Millisecond, time.Millisecond} {
		b.Run("every="+every.String(), func(b *testing.B) {
			var late []float64
			var got, ticks int
			for range b.N {
				rec := &recorder{}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				probes.Run(ctx, time.Now(), []probes.Spec{{Name: "noop", Prober: okProber(), Every: every}}, rec.emit)
				cancel()
				for _, s := range rec.of("noop") {
					late = append(late, ms64(s.Start%every))
				}
				got += len(rec.of("noop"))
				ticks += int(time.Second / every)
			}
			sort.Float64s(late)
			b.ReportMetric(mean(late), "late-mean-ms")
			b.ReportMetric(late[len(late)*99/100], "late-p99-ms")
			b.ReportMetric(float64(got)/float64(ticks), "ticks-sampled")
		})
	}
}

package virtfault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/virtfault"
)

// benchTarget is a hypervisor for the benchmarks: a private real libvirtd
// when possible, else the test:/// driver (reported in the metric names).
type benchTarget struct {
	uri   string
	real  bool
	lab   *realLab
	start func(b *testing.B, names ...string)
}

func newBenchTarget(b *testing.B, names ...string) *benchTarget {
	t := &benchTarget{}
	why := realLabMissing()
	if os.Getenv("FAULTLINE_BENCH_TESTDRIVER") != "" {
		why = "FAULTLINE_BENCH_TESTDRIVER is set"
	}
	if why == "" {
		lab, err := startRealLab(1)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { virtfault.CloseConnections(); lab.close() })
		t.lab, t.real, t.uri = lab, true, lab.daemons[0].uri
		for _, n := range names {
			s, err := lab.guest(n, false, false)
			if err != nil {
				b.Fatal(err)
			}
			if err := lab.daemons[0].define(s, false); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.Logf("no real libvirtd (%s): measuring on test:///", why)
		src, err := os.ReadFile(filepath.Join("testdata", "node-a.xml"))
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(b.TempDir(), "node-a.xml")
		if err := os.WriteFile(p, src, 0o644); err != nil {
			b.Fatal(err)
		}
		t.uri = "test://" + p
	}
	// Starting is set-up, not measured. test:/// state lives in the
	// pooled connection, so start through it.
	t.start = func(b *testing.B, names ...string) {
		c, err := virtfault.PooledConnect(context.Background(), t.uri)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range names {
			d, err := c.LookupDomainByName(n)
			if err != nil {
				b.Fatal(err)
			}
			if st, _, _ := d.GetState(); st != libvirt.DOMAIN_RUNNING {
				if err := d.Create(); err != nil {
					b.Fatal(err)
				}
			}
			_ = d.Free()
		}
	}
	return t
}

func (t *benchTarget) suffix() string {
	if t.real {
		return "qemu"
	}
	return "testdriver"
}

func benchFault(b *testing.B, kind string, with map[string]any) faults.Fault {
	k, _ := faults.Lookup(kind)
	raw, _ := json.Marshal(with)
	f, err := k.NewFault(raw)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// benchMeanMs runs setup with the timer stopped and times measure alone,
// reporting its mean in milliseconds as unit.
func benchMeanMs(b *testing.B, unit string, setup, measure func()) {
	var total time.Duration
	n := 0
	for b.Loop() {
		n++
		b.StopTimer()
		setup()
		b.StartTimer()
		t0 := time.Now()
		measure()
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), unit)
}

// benchLibraryInject times Inject of a fault prepared beforehand, as the
// engine does, with the domains running before each round.
func benchLibraryInject(b *testing.B, t *benchTarget, unit, kind string, with map[string]any, names ...string) {
	var f faults.Fault
	benchMeanMs(b, unit, func() {
		t.start(b, names...)
		f = benchFault(b, kind, with)
		if _, err := f.Prepare(context.Background()); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if err := f.Inject(context.Background()); err != nil {
			b.Fatal(err)
		}
	})
}

// benchVirshDestroy times one forked `virsh destroy` per domain, the way a
// script would do what the library does.
func benchVirshDestroy(b *testing.B, t *benchTarget, unit string, names ...string) {
	benchMeanMs(b, unit, func() { t.start(b, names...) }, func() {
		for _, n := range names {
			if out, err := exec.Command("virsh", "-c", t.uri, "destroy", n).CombinedOutput(); err != nil {
				b.Fatalf("virsh: %v: %s", err, out)
			}
		}
	})
}

// BenchmarkDomainDestroy: one domain destroyed through the library
// (prepared beforehand, as the engine does) next to forking `virsh destroy`.
func BenchmarkDomainDestroy(b *testing.B) {
	t := newBenchTarget(b, "web-a")
	unit := "ms/destroy-" + t.suffix()
	b.Run("library", func(b *testing.B) {
		benchLibraryInject(b, t, unit, "domain.destroy", map[string]any{"uri": t.uri, "domain": "web-a"}, "web-a")
	})
	if !t.real {
		return // virsh cannot share the benchmark's test:/// connection
	}
	b.Run("virsh", func(b *testing.B) {
		benchVirshDestroy(b, t, unit, "web-a")
	})
}

// BenchmarkHypervisorDestroy: every running domain (four) destroyed at once
// through the library next to one `virsh destroy` per domain.
func BenchmarkHypervisorDestroy(b *testing.B) {
	names := []string{"web-a", "web-b", "web-c", "web-d"}
	t := newBenchTarget(b, names...)
	if !t.real {
		names = []string{"web-a", "web-b", "web-c", "web-d", "db-1", "db-2"}
	}
	unit := fmt.Sprintf("ms/%d-domains-%s", len(names), t.suffix())
	b.Run("library", func(b *testing.B) {
		benchLibraryInject(b, t, unit, "hypervisor.destroy", map[string]any{"uri": t.uri}, names...)
	})
	if !t.real {
		return
	}
	b.Run("virsh", func(b *testing.B) {
		benchVirshDestroy(b, t, unit, names...)
	})
}

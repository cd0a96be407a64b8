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

// BenchmarkDomainDestroy: one domain destroyed through the library
// (prepared beforehand, as the engine does) next to forking `virsh destroy`.
func BenchmarkDomainDestroy(b *testing.B) {
	t := newBenchTarget(b, "web-a")
	b.Run("library", func(b *testing.B) {
		var total time.Duration
		n := 0
		for b.Loop() {
			n++
			b.StopTimer()
			t.start(b, "web-a")
			f := benchFault(b, "domain.destroy", map[string]any{"uri": t.uri, "domain": "web-a"})
			if _, err := f.Prepare(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			if err := f.Inject(context.Background()); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/destroy-"+t.suffix())
	})
	if !t.real {
		return // virsh cannot share the benchmark's test:/// connection
	}
	b.Run("virsh", func(b *testing.B) {
		var total time.Duration
		n := 0
		for b.Loop() {
			n++
			b.StopTimer()
			t.start(b, "web-a")
			b.StartTimer()
			t0 := time.Now()
			if out, err := exec.Command("virsh", "-c", t.uri, "destroy", "web-a").CombinedOutput(); err != nil {
				b.Fatalf("virsh: %v: %s", err, out)
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/destroy-"+t.suffix())
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
	b.Run("library", func(b *testing.B) {
		var total time.Duration
		n := 0
		for b.Loop() {
			n++
			b.StopTimer()
			t.start(b, names...)
			f := benchFault(b, "hypervisor.destroy", map[string]any{"uri": t.uri})
			if _, err := f.Prepare(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			if err := f.Inject(context.Background()); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(n), fmt.Sprintf("ms/%d-domains-%s", len(names), t.suffix()))
	})
	if !t.real {
		return
	}
	b.Run("virsh", func(b *testing.B) {
		var total time.Duration
		n := 0
		for b.Loop() {
			n++
			b.StopTimer()
			t.start(b, names...)
			b.StartTimer()
			t0 := time.Now()
			for _, n := range names {
				if out, err := exec.Command("virsh", "-c", t.uri, "destroy", n).CombinedOutput(); err != nil {
					b.Fatalf("virsh: %v: %s", err, out)
				}
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(n), fmt.Sprintf("ms/%d-domains-%s", len(names), t.suffix()))
	})
}

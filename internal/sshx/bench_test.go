package sshx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

// BenchmarkConnect measures connection set-up (TCP from the management
// namespace, handshake, host key check, public key auth) to N real sshds
// in parallel, N = FL_BENCH_HOSTS (default 20), each in its own namespace
// on one management bridge; then the first install of the test binary on
// every host and the verified skip of the second.
//
//	go test -run '^$' -bench Connect -benchtime 5x ./internal/sshx/
func BenchmarkConnect(b *testing.B) {
	n := 20
	if v, err := strconv.Atoi(os.Getenv("FL_BENCH_HOSTS")); err == nil && v > 0 && v <= 200 {
		n = v
	}
	s, err := sshtest.NewSite(b.TempDir())
	if s != nil {
		b.Cleanup(s.Destroy)
	}
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := s.AddHost(fmt.Sprintf("h%02d", i), 10+i); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var all, per []time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		clients := make([]*sshx.Client, n)
		times := make([]time.Duration, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := time.Now()
		for i, h := range s.Hosts() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				clients[i], errs[i] = sshx.Dial(ctx, target(s, h))
				times[i] = time.Since(t0)
			}()
		}
		wg.Wait()
		all = append(all, time.Since(start))
		per = append(per, times...)
		for i, c := range clients {
			if errs[i] != nil {
				b.Fatal(errs[i])
			}
			if it < b.N-1 {
				c.Close()
			}
		}
		if it == b.N-1 {
			b.StopTimer()
			benchSerial(b, s)
			benchInstall(b, clients)
			for _, c := range clients {
				c.Close()
			}
		}
	}
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "ms/all-hosts")
	b.ReportMetric(float64(per[len(per)/2].Microseconds())/1000, "ms/host-p50")
	b.ReportMetric(float64(per[len(per)*99/100].Microseconds())/1000, "ms/host-p99")
	b.ReportMetric(float64(per[len(per)-1].Microseconds())/1000, "ms/host-max")
	fmt.Printf("connect %d hosts in parallel: all %v (median of %d), per host p50 %v p99 %v max %v\n",
		n, all[len(all)/2].Round(time.Millisecond), len(all),
		per[len(per)/2].Round(time.Millisecond), per[len(per)*99/100].Round(time.Millisecond), per[len(per)-1].Round(time.Millisecond))
}

// benchInstall copies the running test binary to every host in parallel,
// then again (verified, skipped), and prints both times.
func benchInstall(b *testing.B, clients []*sshx.Client) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(exe)
	dir := filepath.Join(b.TempDir(), "agent")
	for round, what := range []string{"copy+verify", "verify only (present)"} {
		var wg sync.WaitGroup
		errs := make([]error, len(clients))
		start := time.Now()
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var in *sshx.Installed
				in, errs[i] = c.Install(context.Background(), exe, filepath.Join(dir, strconv.Itoa(i)))
				if errs[i] == nil && in.Copied != (round == 0) {
					errs[i] = fmt.Errorf("round %d: copied=%v", round, in.Copied)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		fmt.Printf("install %.1f MB binary on %d hosts in parallel, %s: %v\n",
			float64(fi.Size())/1e6, len(clients), what, time.Since(start).Round(time.Millisecond))
	}
}

// benchSerial dials the hosts one after another: the cost of one
// connection when nothing else competes for the CPU.
func benchSerial(b *testing.B, s *sshtest.Site) {
	var times []time.Duration
	for _, h := range s.Hosts() {
		t0 := time.Now()
		c, err := sshx.Dial(context.Background(), target(s, h))
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
		c.Close()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("connect one host at a time: p50 %v max %v\n", times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
}

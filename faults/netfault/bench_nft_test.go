package netfault_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// tfBenchRules is what net.partition writes, as an nft script: the same
// tables, sets, chains and rules, for the forking side of the comparison.
const tfBenchRules = `table inet faultline-bench {
	set a4 { type ipv4_addr; flags interval; elements = { 198.18.1.0/24 } }
	set b4 { type ipv4_addr; flags interval; elements = { 198.18.2.2 } }
	chain input { type filter hook input priority raw; policy accept;
		ip saddr @a4 ip daddr @b4 counter drop
		ip saddr @b4 ip daddr @a4 counter drop
	}
	chain output { type filter hook output priority raw; policy accept;
		ip saddr @a4 ip daddr @b4 counter drop
		ip saddr @b4 ip daddr @a4 counter drop
	}
	chain forward { type filter hook forward priority raw; policy accept;
		ip saddr @a4 ip daddr @b4 counter drop
		ip saddr @b4 ip daddr @a4 counter drop
	}
}
table bridge faultline-bench {
	set a4 { type ipv4_addr; flags interval; elements = { 198.18.1.0/24 } }
	set b4 { type ipv4_addr; flags interval; elements = { 198.18.2.2 } }
	chain forward { type filter hook forward priority 0; policy accept;
		ip saddr @a4 ip daddr @b4 counter drop
		ip saddr @b4 ip daddr @a4 counter drop
	}
}
`

const tfBenchDelete = "delete table inet faultline-bench\ndelete table bridge faultline-bench\n"

// BenchmarkNftPartitionLibraryVsFork times one net.partition inject+revert
// through the nftables library and the same tables added and deleted by
// forking `nft -f` inside the namespace, alternating in one run.
func BenchmarkNftPartitionLibraryVsFork(b *testing.B) {
	if _, err := exec.LookPath("nft"); err != nil {
		b.Skip("nft not installed")
	}
	ctx := context.Background()
	ns := testName("bn")
	if err := nsutil.Create(ns); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = nsutil.Delete(ns) })
	dir := b.TempDir()
	addFile, delFile := filepath.Join(dir, "add.nft"), filepath.Join(dir, "del.nft")
	if err := os.WriteFile(addFile, []byte(tfBenchRules), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(delFile, []byte(tfBenchDelete), 0o600); err != nil {
		b.Fatal(err)
	}
	k, _ := faults.Lookup("net.partition")
	params, _ := json.Marshal(map[string]any{"netns": ns, "a": []string{"198.18.1.0/24"}, "b": []string{"198.18.2.2"}, "table": "faultline-bench"})
	f, err := k.NewFault(params)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	nft := func(file string) {
		if out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-f", file).CombinedOutput(); err != nil {
			b.Fatalf("nft -f %s: %v: %s", file, err, out)
		}
	}
	var lib, fork, inject time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := f.Inject(ctx); err != nil {
			b.Fatal(err)
		}
		ti := time.Now()
		if err := f.Revert(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		nft(addFile)
		nft(delFile)
		t2 := time.Now()
		inject += ti.Sub(t0)
		lib += t1.Sub(t0)
		fork += t2.Sub(t1)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(lib.Microseconds())/n, "lib-us/op")
	b.ReportMetric(float64(fork.Microseconds())/n, "fork-us/op")
	b.ReportMetric(float64(inject.Microseconds())/n, "lib-inject-us/op")
	b.ReportMetric(float64(fork)/float64(lib), "fork/lib")
}

package experiments_test

import (
	"os"
	"strings"
	"testing"

	"github.com/faultline/faultline/experiments"
)

// BenchmarkParse measures loading the reference example, and the largest
// file the limits let through (the YAML parser is superlinear in tokens).
func BenchmarkParse(b *testing.B) {
	example, err := os.ReadFile("testdata/kill-server-a.yaml")
	if err != nil {
		b.Fatal(err)
	}
	// About MaxTokens tokens: three per label entry.
	largest := []byte("version: 1\nname: e\nlabels:\n" + strings.Repeat("  k: v\n", experiments.MaxTokens/3-10))
	for name, data := range map[string][]byte{"example": example, "limit": largest} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				_, _ = experiments.Parse("bench.yaml", data)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/parse")
		})
	}
}

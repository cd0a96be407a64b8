package procfault_test

import (
	"encoding/json"
	"testing"

	"github.com/faultline/faultline/faults"
)

// BenchmarkResolveCmdline measures a selection over every process of the
// machine (what Preflight and Prepare cost): go test -bench Resolve -run XXX
func BenchmarkResolveCmdline(b *testing.B) {
	k, _ := faults.Lookup("process.pause")
	f, err := k.NewFault(json.RawMessage(`{"cmdline":"^no-such-process-bench$"}`))
	if err != nil {
		b.Fatal(err)
	}
	pf := f.(faults.Preflighter)
	for b.Loop() {
		_ = pf.Preflight(b.Context())
	}
}

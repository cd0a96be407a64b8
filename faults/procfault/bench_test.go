package procfault_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

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

// BenchmarkSignal20 measures signalling 20 recorded processes through
// pidfds with their start times checked (a pause revert from its record).
func BenchmarkSignal20(b *testing.B) {
	m := fmt.Sprintf("3600.%06d", rand.IntN(1000000))
	var cmds []*exec.Cmd
	for range 20 {
		c := exec.Command("sleep", m)
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	time.Sleep(100 * time.Millisecond) // let them exec sleep
	k, _ := faults.Lookup("process.pause")
	f, err := k.NewFault(json.RawMessage(`{"cmdline":"^sleep ` + strings.ReplaceAll(m, ".", `\\.`) + `$"}`))
	if err != nil {
		b.Fatal(err)
	}
	u, err := f.Prepare(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := faults.RevertUndo(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
}

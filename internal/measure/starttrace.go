package measure

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// startTrace is the start-up trace's origin; zero when FL_TRACE_START is
// unset. FL_TRACE_START=NS (a Unix time in nanoseconds, taken by whoever
// exec'd the process) makes the stages count from the exec; any other
// value, from the first Stage.
var startTrace = sync.OnceValue(func() time.Time {
	v := os.Getenv("FL_TRACE_START")
	if v == "" {
		return time.Time{}
	}
	if ns, err := strconv.ParseInt(v, 10, 64); err == nil && ns > 1e18 {
		return time.Unix(0, ns)
	}
	return time.Now()
})

// Stage prints, when FL_TRACE_START is set, how long after the start a
// stage of the command was reached, to stderr: where a command's time to
// its first effect goes (process start, plan, guard, prepare, inject).
func Stage(name string) {
	t0 := startTrace()
	if t0.IsZero() {
		return
	}
	fmt.Fprintf(os.Stderr, "faultline start-trace pid %d %8.3f ms %s\n", os.Getpid(),
		float64(time.Since(t0).Microseconds())/1000, name)
}

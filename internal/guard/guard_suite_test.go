package guard_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/guard"

	_ "github.com/faultline/faultline/faults/netfault"
)

// TestMain doubles as the guard process of the Start specs: re-executed
// with FL_GUARD_HELPER set, the test binary serves the lease on fd 3.
func TestMain(m *testing.M) {
	if os.Getenv("FL_GUARD_HELPER") != "" {
		conn, err := guard.ConnFromFD(guard.LeaseFD)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		o := guard.Serve(context.Background(), conn, guard.ServeConfig{StateDir: os.Getenv("FL_GUARD_STATE"),
			RunID: "helper", Journal: os.Getenv("FL_GUARD_JOURNAL"), TTL: 500 * time.Millisecond, Log: os.Stderr})
		if !o.Clean {
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestGuard(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "guard")
}

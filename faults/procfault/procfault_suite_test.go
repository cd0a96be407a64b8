package procfault_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// sleeperEnv makes the test binary sleep instead of running specs: a
// process that runs faultline's own executable, which no fault may select.
const sleeperEnv = "PROCFAULT_SPEC_SLEEPER"

func TestProcfault(t *testing.T) {
	if os.Getenv(sleeperEnv) != "" {
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "procfault")
}

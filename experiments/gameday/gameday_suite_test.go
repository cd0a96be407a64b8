package gameday_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/session"
)

// TestMain doubles as the guard of the game days' runs: re-executed by a
// session as its guard, the test binary serves the lease.
func TestMain(m *testing.M) {
	if code, ok := session.GuardMain(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestGameday(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "gameday")
}

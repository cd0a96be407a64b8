package session_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/session"
)

func TestMain(m *testing.M) {
	if code, ok := session.GuardMain(); ok {
		os.Exit(code)
	}
	// A race-enabled guard would sleep 1 s at exit, which Run waits for.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

func TestSession(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "session")
}

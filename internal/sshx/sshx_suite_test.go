package sshx_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestSSHX(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "sshx")
}

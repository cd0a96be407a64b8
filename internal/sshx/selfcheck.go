package sshx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// ExitBadBinary is the exit status of `faultline agent --sha256 X` whose
// own executable does not hash to X: the copy on the host is bad and the
// controller replaces it.
const ExitBadBinary = 86

// VerifyExecutable hashes the executable this process runs from and
// compares it with want (hex SHA-256). It reads /proc/self/exe, the
// inode the kernel executed, so a file swapped at the path after it was
// checked (or during exec) cannot pass; and the kernel refuses writes to
// a file while it is being executed, so the bytes hashed stay the bytes
// that run. It costs one local read of the binary on the host instead of
// reading it back over SFTP on every run.
func VerifyExecutable(want string) error {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("own executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("own executable: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("own executable has SHA-256 %s, want %s: the copy on this host is bad", got, want)
	}
	return nil
}

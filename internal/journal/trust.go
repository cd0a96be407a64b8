package journal

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrUntrustedFile marks a journal recover and the guard refuse to act on:
// anyone but its owner could have written the undo records in it.
var ErrUntrustedFile = errors.New("journal not trusted")

// ReadTrusted reads a journal that recovery may act on: a regular file,
// opened without following a symbolic link, owned by root (or by the user
// reading it) and writable by its owner only. The checks are made on the
// open file, so the file read is the file checked.
func ReadTrusted(path string) (*Run, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUntrustedFile, path)
		}
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := TrustedFile(path, st); err != nil {
		return nil, err
	}
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	r.Path = path
	return r, nil
}

// TrustedFile checks the ownership and mode of a file (or directory)
// recovery reads from.
func TrustedFile(path string, st os.FileInfo) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s: no owner information", ErrUntrustedFile, path)
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return fmt.Errorf("%w: %s is not a regular file", ErrUntrustedFile, path)
	}
	if sys.Uid != 0 && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not root", ErrUntrustedFile, path, sys.Uid)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by group or others (mode %04o)", ErrUntrustedFile, path, st.Mode().Perm())
	}
	return nil
}

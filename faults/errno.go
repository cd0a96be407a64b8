package faults

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sentinel is the sentinel a kernel error means (an errno, possibly
// wrapped): ErrNotFound, ErrPermission, ErrNotSupported, or nil. It is the
// one errno mapping of faultline; drivers call Classify rather than keep
// their own.
func sentinel(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrPermission), errors.Is(err, ErrNotSupported):
		return nil // already classified
	case errors.Is(err, os.ErrNotExist), errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV):
		return ErrNotFound
	case errors.Is(err, os.ErrPermission), errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return ErrPermission
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EAFNOSUPPORT),
		errors.Is(err, unix.EPROTONOSUPPORT), errors.Is(err, unix.ENOSYS):
		return ErrNotSupported
	}
	return nil
}

// Classify wraps err with the sentinel it means, keeping err too; errors
// that mean none, or are classified already, come back unchanged.
func Classify(err error) error {
	s := sentinel(err)
	if s == nil {
		return err
	}
	return fmt.Errorf("%w: %w", s, err)
}

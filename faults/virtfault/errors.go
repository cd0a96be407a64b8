package virtfault

import (
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
)

var (
	// ErrLibvirtMissing: libvirt.so.0 could not be loaded (package
	// libvirt0 not installed). It wraps faults.ErrNotSupported.
	ErrLibvirtMissing = fmt.Errorf("libvirt.so.0 is not loadable (install libvirt0): %w", faults.ErrNotSupported)
	// ErrUnreachable: the URI's hypervisor could not be connected to.
	ErrUnreachable = errors.New("hypervisor unreachable")

	errNotLibvirt = errors.New("not a libvirt connection")
)

// libvirtError names the operation, keeps libvirt's error (for its code)
// and wraps the matching faults sentinel, if any.
type libvirtError struct {
	op       string
	lerr     libvirt.Error
	sentinel error
}

func (e *libvirtError) Error() string {
	if e.sentinel != nil && e.sentinel != ErrUnreachable {
		return fmt.Sprintf("%s: %s (%v)", e.op, e.lerr.Message, e.sentinel)
	}
	return e.op + ": " + e.lerr.Message
}

func (e *libvirtError) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.lerr}
	}
	return []error{e.lerr, e.sentinel}
}

// wrapErr turns a libvirt error into one that names the operation and
// wraps the matching sentinel.
func wrapErr(op string, err error) error {
	var lerr libvirt.Error
	if !errors.As(err, &lerr) {
		return fmt.Errorf("%s: %w", op, err)
	}
	e := &libvirtError{op: op, lerr: lerr}
	msg := lerr.Message
	switch {
	case lerr.Code == libvirt.ERR_NO_DOMAIN, lerr.Code == libvirt.ERR_NO_NETWORK:
		e.sentinel = faults.ErrNotFound
	case lerr.Code == libvirt.ERR_NO_SUPPORT:
		e.sentinel = faults.ErrNotSupported
	case lerr.Code == libvirt.ERR_AUTH_FAILED, lerr.Code == libvirt.ERR_AUTH_CANCELLED,
		lerr.Code == libvirt.ERR_AUTH_UNAVAILABLE, lerr.Code == libvirt.ERR_OPERATION_DENIED,
		lerr.Code == libvirt.ERR_ACCESS_DENIED:
		e.sentinel = faults.ErrPermission
	case strings.Contains(msg, "libvirt.so.0"), strings.HasPrefix(msg, "Failed to load vir"):
		e.sentinel = ErrLibvirtMissing
	case lerr.Code == libvirt.ERR_NO_CONNECT, lerr.Code == libvirt.ERR_RPC,
		lerr.Code == libvirt.ERR_SYSTEM_ERROR && lerr.Domain == libvirt.FROM_RPC:
		e.sentinel = ErrUnreachable
	}
	return e
}

// isLibvirtCode reports whether err (or what it wraps) is a libvirt error with code.
func isLibvirtCode(err error, code libvirt.ErrorNumber) bool {
	var lerr libvirt.Error
	return errors.As(err, &lerr) && lerr.Code == code
}

package wire

import (
	"errors"
	"fmt"

	"github.com/faultline/faultline/faults"
)

// ErrorReply turns an error into a reply that keeps its sentinel.
func ErrorReply(err error) *Reply {
	r := &Reply{Error: err.Error()}
	switch {
	case errors.Is(err, faults.ErrNotFound):
		r.Code = "not-found"
	case errors.Is(err, faults.ErrNotSupported):
		r.Code = "not-supported"
	case errors.Is(err, faults.ErrPermission):
		r.Code = "permission"
	case errors.Is(err, faults.ErrUntrusted):
		r.Code = "untrusted"
	}
	return r
}

// Err turns a failed reply back into an error wrapping the sentinel of
// its code, so errors.Is works across the wire.
func (r *Reply) Err() error {
	if r == nil || r.Error == "" {
		return nil
	}
	var s error
	switch r.Code {
	case "not-found":
		s = faults.ErrNotFound
	case "not-supported":
		s = faults.ErrNotSupported
	case "permission":
		s = faults.ErrPermission
	case "untrusted":
		s = faults.ErrUntrusted
	}
	if s == nil {
		return errors.New(r.Error)
	}
	return fmt.Errorf("%s (%w)", r.Error, s)
}

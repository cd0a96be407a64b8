package sshx

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels wrapped by dial errors, for preflight to classify them.
var (
	ErrUnreachable = errors.New("unreachable")
	ErrAuth        = errors.New("authentication failed")
	ErrHostKey     = errors.New("host key not trusted")
)

// HostKeyError is an unknown, changed or revoked host key.
type HostKeyError struct {
	Host        string // the host's name
	Addr        string // host:port checked
	KeyType     string
	Fingerprint string   // SHA256:… of the key the host presented
	Known       []string // for a changed key: file:line of the keys on record
	Files       []string // known_hosts files consulted
	Revoked     bool
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("host %s (%s): host key %s %s is revoked", e.Host, e.Addr, e.KeyType, e.Fingerprint)
	case len(e.Known) > 0:
		return fmt.Sprintf("host %s (%s): host key CHANGED: presented %s %s, known keys differ (%s)",
			e.Host, e.Addr, e.KeyType, e.Fingerprint, strings.Join(e.Known, ", "))
	}
	return fmt.Sprintf("host %s (%s): unknown host key %s %s, not in %s (verify it, then add it to known_hosts)",
		e.Host, e.Addr, e.KeyType, e.Fingerprint, strings.Join(e.Files, ", "))
}

func (e *HostKeyError) Unwrap() error { return ErrHostKey }

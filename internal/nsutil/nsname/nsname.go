// Package nsname says which network namespace names faultline accepts. It
// imports nothing but the standard library, so the experiment format, the
// fault drivers, probes and the lab check names with one rule.
package nsname

import (
	"fmt"
	"regexp"
	"sync"
)

// plain is a name iproute2 would make a file of in /run/netns: no path
// separators, nothing that could climb out of the directory.
var plain = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) })

// maxLen keeps a name a single path element on every filesystem.
const maxLen = 255

// IsHost reports whether name addresses the host namespace ("" or "host").
func IsHost(name string) bool { return name == "" || name == "host" }

// Validate accepts "" and "host" (the host) and plain names of A-Z, a-z,
// 0-9, _, . and - (not "." or ".."); anything else, such as a path like
// ../../proc/self/ns/net, is an error.
func Validate(name string) error {
	if IsHost(name) {
		return nil
	}
	if len(name) > maxLen || !plain().MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("bad namespace name %q: a plain name of A-Z, a-z, 0-9, _, . and -", name)
	}
	return nil
}

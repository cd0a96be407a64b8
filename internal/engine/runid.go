package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// NewRunID makes a run id: the experiment name, a UTC timestamp and a
// random suffix, usable in file and nftables table names.
func NewRunID(name string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return name + "-" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

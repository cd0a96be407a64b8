package netfault

import (
	"fmt"
	"strconv"
	"strings"
)

// bandwidthParseRate parses a tc-style rate into bytes per second:
// "1mbit", "512kbit", "2.5gbit", "100kbps" (bytes), "1mibit"; a bare
// number is bits per second, as in tc.
func bandwidthParseRate(s string) (uint64, error) {
	num, unit := bandwidthSplit(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("rate %q: want a positive number with a unit such as 1mbit", s)
	}
	bits := map[string]float64{
		"": 1, "bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
		"kibit": 1 << 10, "mibit": 1 << 20, "gibit": 1 << 30, "tibit": 1 << 40,
		"bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "tbps": 8e12,
		"kibps": 8 << 10, "mibps": 8 << 20, "gibps": 8 << 30, "tibps": 8 << 40,
	}
	f, ok := bits[unit]
	if !ok {
		return 0, fmt.Errorf("rate %q: unknown unit %q", s, unit)
	}
	bytes := v * f / 8
	if bytes < 1 || bytes > 1<<62 {
		return 0, fmt.Errorf("rate %q is out of range", s)
	}
	return uint64(bytes), nil
}

// bandwidthParseSize parses a tc-style size into bytes: "32kb" (KiB),
// "1mb", "1500b", "64kbit"; a bare number is bytes.
func bandwidthParseSize(s string) (uint32, error) {
	num, unit := bandwidthSplit(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with a unit such as 32kb", s)
	}
	bytes := map[string]float64{
		"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30,
		"kbit": 1 << 10 / 8.0, "mbit": 1 << 20 / 8.0, "gbit": 1 << 30 / 8.0,
	}
	f, ok := bytes[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, unit)
	}
	n := v * f
	if n < 1 || n > 1<<31 {
		return 0, fmt.Errorf("size %q is out of range", s)
	}
	return uint32(n), nil
}

func bandwidthSplit(s string) (num, unit string) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

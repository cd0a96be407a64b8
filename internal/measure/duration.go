package measure

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written as "150ms", "2s", "1m30s" in files.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MaxDuration is the longest duration a file may write: 30 days. Nothing
// an experiment or game day holds, waits for or observes runs that long,
// and a cap keeps schedules far from overflowing (2,000,000h once planned
// steps at negative times).
const MaxDuration = 30 * 24 * time.Hour

// ParseDuration parses a non-negative duration with a unit, at most
// MaxDuration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want a number with a unit, e.g. 150ms, 2s, 1m)", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("bad duration %q: must not be negative", s)
	}
	if v > MaxDuration {
		return 0, fmt.Errorf("bad duration %q: longer than the 30 days (720h) a duration may be", s)
	}
	return Duration(v), nil
}

// UnmarshalYAML accepts a string with a unit; a bare 0 is allowed too.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	if s == "0" {
		*d = 0
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"2s\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

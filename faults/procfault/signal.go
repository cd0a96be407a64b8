package procfault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Signal is process.kill's `signal:`: a name (SIGTERM, TERM, term) or a
// number, as a string or a bare number.
type Signal struct {
	Num  unix.Signal
	text string
}

// JSONSchema: a name (SIGTERM, TERM) or a number.
func (Signal) JSONSchema() map[string]any {
	return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
}

func (s *Signal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var text string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
	} else {
		text = string(b)
	}
	n, err := parseSignal(text)
	if err != nil {
		return err
	}
	s.Num, s.text = n, text
	return nil
}

func (s Signal) MarshalJSON() ([]byte, error) { return json.Marshal(int(s.Num)) }

// parseSignal accepts SIGTERM, TERM, term, 15 and the real-time range
// by number (1..64); 0 sends nothing and is refused.
func parseSignal(text string) (unix.Signal, error) {
	t := strings.TrimSpace(text)
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal: %d is not a signal number (1..64)", n)
		}
		return unix.Signal(n), nil
	}
	up := strings.ToUpper(t)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if n := unix.SignalNum(up); n != 0 {
		return n, nil
	}
	return 0, fmt.Errorf("signal: unknown signal %q (a name like SIGTERM or TERM, or a number)", text)
}

// signalName is the name for descriptions (SIGKILL), or the number.
func signalName(n unix.Signal) string {
	if s := unix.SignalName(n); s != "" {
		return s
	}
	return strconv.Itoa(int(n))
}

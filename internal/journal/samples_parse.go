package journal

import (
	"encoding/json"
	"fmt"
)

// samplesLineRaw leaves the two long integer arrays undecoded: parsing
// them by hand is several times faster than encoding/json's reflection,
// and a long run's journal is almost all of them.
type samplesLineRaw struct {
	T string             `json:"t"`
	P string             `json:"p"`
	S int64              `json:"s"`
	I int64              `json:"i"`
	D json.RawMessage    `json:"d"`
	K string             `json:"k"`
	V float64            `json:"v"`
	X map[string]float64 `json:"x,omitempty"`
	L json.RawMessage    `json:"l"`
	E map[string]string  `json:"e,omitempty"`
}

func parseSamplesLine(line []byte) (*samplesLine, error) {
	var raw samplesLineRaw
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, err
	}
	d, err := parseIntArray(raw.D)
	if err != nil {
		return nil, fmt.Errorf("field d: %w", err)
	}
	l, err := parseIntArray(raw.L)
	if err != nil {
		return nil, fmt.Errorf("field l: %w", err)
	}
	return &samplesLine{T: raw.T, P: raw.P, S: raw.S, I: raw.I, D: d, K: raw.K, V: raw.V, X: raw.X, L: l, E: raw.E}, nil
}

// parseIntArray parses a JSON array of integers, such as [12,-3,0].
func parseIntArray(b []byte) ([]int64, error) {
	i, n := 0, len(b)
	skip := func() {
		for i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
	}
	skip()
	if i >= n || b[i] != '[' {
		return nil, fmt.Errorf("want an array of integers")
	}
	i++
	out := make([]int64, 0, n/3)
	skip()
	if i < n && b[i] == ']' {
		return out, nil
	}
	for {
		skip()
		neg := false
		if i < n && b[i] == '-' {
			neg, i = true, i+1
		}
		start := i
		var v int64
		for i < n && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int64(b[i]-'0')
			i++
		}
		if i == start || i-start > 18 {
			return nil, fmt.Errorf("bad integer at byte %d", start)
		}
		if neg {
			v = -v
		}
		out = append(out, v)
		skip()
		if i >= n {
			return nil, fmt.Errorf("unterminated array")
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return out, nil
		default:
			return nil, fmt.Errorf("unexpected %q at byte %d", b[i], i)
		}
	}
}

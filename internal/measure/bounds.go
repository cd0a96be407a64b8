package measure

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Comparison is a bound such as ">= 99.5%", "< 200ms" or "== 2".
type Comparison struct {
	Op string // <, <=, >, >=, ==, !=
	// Value: a plain number, a percentage (99.5 for "99.5%") or, for a
	// duration, seconds.
	Value float64
	// Unit is "", "%" or "s" (durations).
	Unit string
	Text string // as written
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseComparison parses "<op> N", "<op> N%" or "<op> DURATION".
func ParseComparison(s string) (Comparison, error) {
	t := strings.TrimSpace(s)
	c := Comparison{Text: t}
	for _, op := range ops {
		if strings.HasPrefix(t, op) {
			c.Op = op
			t = strings.TrimSpace(t[len(op):])
			break
		}
	}
	if c.Op == "" {
		return c, fmt.Errorf("bad comparison %q: want \"<op> N\" with op one of < <= > >= == !=", s)
	}
	if t == "" {
		return c, fmt.Errorf("bad comparison %q: missing number", s)
	}
	switch {
	case strings.HasSuffix(t, "%"):
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
		if err != nil || !finite(v) {
			return c, fmt.Errorf("bad percentage in %q", s)
		}
		if v < 0 || v > 100 {
			return c, fmt.Errorf("percentage out of range in %q: want 0 to 100", s)
		}
		c.Value, c.Unit = v, "%"
	default:
		if v, err := strconv.ParseFloat(t, 64); err == nil {
			if !finite(v) {
				return c, fmt.Errorf("bad comparison %q: %q is not a finite number", s, t)
			}
			c.Value = v
			return c, nil
		}
		d, err := ParseDuration(t)
		if err != nil {
			return c, fmt.Errorf("bad comparison %q: %q is neither a number, a percentage nor a duration of at most 30 days", s, t)
		}
		c.Value, c.Unit = d.D().Seconds(), "s"
	}
	return c, nil
}

// Holds reports whether v compares true against the bound.
func (c Comparison) Holds(v float64) bool {
	switch c.Op {
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	case "==":
		return v == c.Value
	case "!=":
		return v != c.Value
	}
	return false
}

func (c Comparison) String() string { return c.Text }

// ParsePercent parses "90%" (for abortWhen.availabilityBelow).
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if !strings.HasSuffix(t, "%") {
		return 0, fmt.Errorf("bad percentage %q: want e.g. \"90%%\"", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || !finite(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("bad percentage %q: want a number from 0 to 100 followed by %%", s)
	}
	return v, nil
}

// finite rejects NaN and ±Inf, which strconv parses and no bound can mean.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

package experiments

import (
	"encoding/json"
	"fmt"
	"strings"
)

// bound is a comparison parsed once, with the reason it did not parse.
type bound struct {
	c   Comparison
	err error
}

// parsedBounds holds a Verify's or an AbortWhen's bounds in parsed form.
// Parse fills it after validation and a value read back from JSON (a
// journal's header) fills it as it is decoded, so verify never parses a
// bound while it evaluates. A value built in code (never parsed) has its
// bounds parsed on each call instead: nothing here writes to a value
// that verify and a report may read at once.
type parsedBounds struct {
	availability, reaches bound
	latency               map[string]bound
	below                 float64 // abortWhen.availabilityBelow, in percent
	belowErr              error
}

func (f *Verify) parseBounds() {
	p := &parsedBounds{}
	if f.Availability != "" {
		p.availability = parseBound(f.Availability, "%", "availability bound %q is not a percentage")
	}
	if r := strings.TrimSpace(f.Reaches); r != "" && r != "ok" {
		p.reaches = parseBound(r, "", "")
	}
	if f.Latency != nil {
		p.latency = make(map[string]bound, len(*f.Latency))
		for k, text := range *f.Latency {
			p.latency[k] = parseBound(text, "s", "latency bound %q is not a duration")
		}
	}
	f.parsed = p
}

// parseBound parses text and, when unitErr is set, insists on unit.
func parseBound(text, unit, unitErr string) bound {
	c, err := ParseComparison(text)
	if err == nil && unitErr != "" && c.Unit != unit {
		err = fmt.Errorf(unitErr, text)
	}
	return bound{c, err}
}

func (f Verify) bounds() *parsedBounds {
	if f.parsed == nil {
		f.parseBounds()
	}
	return f.parsed
}

// AvailabilityBound is availability parsed: a percentage bound.
func (f Verify) AvailabilityBound() (Comparison, error) {
	b := f.bounds().availability
	return b.c, b.err
}

// ReachesBound is reaches parsed, when it is a comparison (not "ok").
func (f Verify) ReachesBound() (Comparison, error) {
	b := f.bounds().reaches
	return b.c, b.err
}

// LatencyBound is the bound of one latency key parsed: a duration bound.
func (f Verify) LatencyBound(key string) (Comparison, error) {
	b, ok := f.bounds().latency[key]
	if !ok {
		return Comparison{}, fmt.Errorf("no latency bound %q", key)
	}
	return b.c, b.err
}

func (f *Verify) UnmarshalJSON(b []byte) error {
	type plain Verify
	var q plain
	if err := json.Unmarshal(b, &q); err != nil {
		return err
	}
	*f = Verify(q)
	f.parseBounds()
	return nil
}

func (a *AbortWhen) parseBounds() {
	p := &parsedBounds{}
	if a.AvailabilityBelow != "" {
		p.below, p.belowErr = ParsePercent(a.AvailabilityBelow)
	}
	a.parsed = p
}

// BelowPercent is availabilityBelow parsed, in percent.
func (a AbortWhen) BelowPercent() (float64, error) {
	if a.parsed == nil {
		a.parseBounds()
	}
	return a.parsed.below, a.parsed.belowErr
}

// parseBounds parses every bound of the experiment once.
func (e *Experiment) parseBounds() {
	for i := range e.Verify {
		e.Verify[i].parseBounds()
	}
	for i := range e.AbortWhen {
		e.AbortWhen[i].parseBounds()
	}
}

package experiments

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/strictyaml"
)

// A probe kind is a key of its own beside the fixed fields (`http: {...}`,
// `every: 1s`): Inline takes that key when decoding YAML (a
// strictyaml.KeyTaker), and the structs that hold one (Probe, AbortWhen)
// encode and decode it in JSON by hand; every other field goes by its tags.

// TakesKey: a key naming a registered probe kind is the probe's kind.
func (in *Inline) TakesKey(key string) bool { return isProbeKind(key) }

// KnownKeys lists the probe kinds beside a struct's own fields.
func (in *Inline) KnownKeys() []string { return probes.Names() }

// TakeKey decodes the probe kind written as key; its parameters are
// checked by the kind, at validation.
func (in *Inline) TakeKey(key string, n strictyaml.Node) {
	if in.Kind != "" {
		n.Errorf("set only one probe kind, got %s and %s", in.Kind, key)
		return
	}
	in.Kind = key
	with, ok := n.Map()
	if ok && with == nil {
		n.Failf("want a mapping, got null")
		return
	}
	in.With = with
}

// isProbeKind reports whether a key names a registered probe kind.
func isProbeKind(key string) bool {
	_, ok := probes.Lookup(key)
	return ok
}

func (p Probe) MarshalJSON() ([]byte, error) {
	type plain Probe
	return marshalInline(plain(p), p.Inline)
}

func (p *Probe) UnmarshalJSON(b []byte) error {
	type plain Probe
	var q plain
	in, err := unmarshalInline(b, &q)
	if err != nil {
		return err
	}
	*p = Probe(q)
	p.Inline = in
	return nil
}

func (a AbortWhen) MarshalJSON() ([]byte, error) {
	type plain AbortWhen
	return marshalInline(plain(a), a.Inline)
}

func (a *AbortWhen) UnmarshalJSON(b []byte) error {
	type plain AbortWhen
	var q plain
	in, err := unmarshalInline(b, &q)
	if err != nil {
		return err
	}
	*a = AbortWhen(q)
	a.Inline = in
	a.parseBounds()
	return nil
}

// marshalInline encodes v by its tags and adds the kind as a key of its own.
func marshalInline(v any, in Inline) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || in.Kind == "" {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	with := in.With
	if with == nil {
		with = map[string]any{}
	}
	if m[in.Kind], err = json.Marshal(with); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// unmarshalInline decodes the tagged fields of b into v and returns the
// one remaining key as the kind.
func unmarshalInline(b []byte, v any) (Inline, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Inline{}, err
	}
	known := map[string]bool{}
	t := reflect.TypeOf(v).Elem()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[name] = true
		}
	}
	var in Inline
	rest := map[string]json.RawMessage{}
	for k, raw := range m {
		if known[k] {
			rest[k] = raw
			continue
		}
		if in.Kind != "" {
			return Inline{}, &json.UnmarshalTypeError{Value: "two probe kinds " + in.Kind + " and " + k, Type: t}
		}
		in.Kind = k
		if err := json.Unmarshal(raw, &in.With); err != nil {
			return Inline{}, err
		}
	}
	rb, err := json.Marshal(rest)
	if err != nil {
		return Inline{}, err
	}
	return in, json.Unmarshal(rb, v)
}

// addAbortProbes turns each abortWhen condition written as a probe kind
// into a probe of its own, abortProbeName(i), so that the sampler runs it,
// the journal keeps its samples and reports replay it like any other.
// It is idempotent.
func (e *Experiment) addAbortProbes() {
	for i := range e.AbortWhen {
		a := &e.AbortWhen[i]
		if a.Kind == "" {
			continue
		}
		name := abortProbeName(i)
		a.Probe = name
		if _, ok := e.Probes[name]; ok {
			continue
		}
		if e.Probes == nil {
			e.Probes = map[string]*Probe{}
		}
		e.Probes[name] = &Probe{Inline: a.Inline, Every: a.Every, Netns: a.Netns}
		if e.ProbeOrder != nil {
			e.ProbeOrder = append(e.ProbeOrder, name)
		}
	}
}

package hosts

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Spec is how to reach one host, as written in the experiment
// (`hostDefaults:` or one entry of `hosts:`) or derived from an inventory.
// An empty field is unset: a later layer, ~/.ssh/config or a built-in
// default fills it.
type Spec struct {
	Address    string `json:"address,omitempty"`    // IP or DNS name; default: the host's name
	User       string `json:"user,omitempty"`       // default root
	Port       int    `json:"port,omitempty"`       // default 22
	Identity   string `json:"identity,omitempty"`   // private key file
	KnownHosts string `json:"knownHosts,omitempty"` // known_hosts file
	DialNetns  string `json:"dialNetns,omitempty"`  // make the TCP connection from this namespace
	Jump       string `json:"jump,omitempty"`       // jump host: a host name of the set, or [user@]host[:port]
	// HostKey pins the host's public key from a file instead of
	// known_hosts (for a lab whose keys are generated with it).
	HostKey string `json:"hostKey,omitempty"`
	// BMC is the host's out-of-band controller (bmc.power and the bmc
	// probe `on:` this host dial it from the controller).
	BMC *BMC `json:"bmc,omitempty"`
}

// FieldError is a problem with one field of a host entry. Field is a path
// relative to what was decoded ("port", "hv-c.port"); the caller maps it to
// a file position.
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`) })

// ValidName reports whether s can name a host or a group.
func ValidName(s string) bool { return nameRE().MatchString(s) }

var specFields = map[string]func(*Spec, string, any) *FieldError{
	"address":    str(func(s *Spec) *string { return &s.Address }),
	"user":       str(func(s *Spec) *string { return &s.User }),
	"identity":   str(func(s *Spec) *string { return &s.Identity }),
	"knownHosts": str(func(s *Spec) *string { return &s.KnownHosts }),
	"dialNetns":  str(func(s *Spec) *string { return &s.DialNetns }),
	"jump":       str(func(s *Spec) *string { return &s.Jump }),
	"hostKey":    str(func(s *Spec) *string { return &s.HostKey }),
	"port":       decodePort,
	"bmc":        decodeBMC,
}

func str(field func(*Spec) *string) func(*Spec, string, any) *FieldError {
	return func(s *Spec, name string, v any) *FieldError {
		t, ok := v.(string)
		if !ok {
			return &FieldError{name, fmt.Sprintf("want a string, got %s", describe(v))}
		}
		if strings.TrimSpace(t) == "" {
			return &FieldError{name, "must not be empty"}
		}
		*field(s) = t
		return nil
	}
}

func decodePort(s *Spec, name string, v any) *FieldError {
	var p int64
	switch t := v.(type) {
	case int:
		p = int64(t)
	case int64:
		p = t
	case uint64:
		p = int64(min(t, math.MaxInt32))
	case float64:
		if t != math.Trunc(t) {
			return &FieldError{name, fmt.Sprintf("want an integer port, got %v", t)}
		}
		p = int64(t)
	default:
		return &FieldError{name, fmt.Sprintf("want an integer port, got %s", describe(v))}
	}
	if p < 1 || p > 65535 {
		return &FieldError{name, fmt.Sprintf("port %d is outside 1..65535", p)}
	}
	s.Port = int(p)
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// DecodeSpec reads one host entry (or `hostDefaults:`) from the plain
// values of a YAML mapping. Unknown fields and wrong types are errors,
// all of them at once, sorted by field.
func DecodeSpec(m map[string]any) (Spec, []FieldError) {
	var s Spec
	var errs []FieldError
	for _, k := range sortedKeys(m) {
		set, ok := specFields[k]
		if !ok {
			errs = append(errs, FieldError{k, "unknown field (known: " + strings.Join(sortedKeys(specFields), ", ") + ")"})
			continue
		}
		if err := set(&s, k, m[k]); err != nil {
			errs = append(errs, *err)
		}
	}
	return s, errs
}

// DecodeHosts reads `hosts:`: host name → entry. A null entry is a host
// reached by its name with the defaults.
func DecodeHosts(m map[string]any) (map[string]Spec, []FieldError) {
	out := make(map[string]Spec, len(m))
	var errs []FieldError
	for _, name := range sortedKeys(m) {
		if !ValidName(name) {
			errs = append(errs, FieldError{name, "bad host name: want letters, digits, '.', '_', '-'"})
			continue
		}
		var s Spec
		switch v := m[name].(type) {
		case nil:
		case map[string]any:
			var ferrs []FieldError
			s, ferrs = DecodeSpec(v)
			for _, e := range ferrs {
				errs = append(errs, FieldError{name + "." + e.Field, e.Msg})
			}
		default:
			errs = append(errs, FieldError{name, "want a mapping, got " + describe(v)})
			continue
		}
		out[name] = s
	}
	return out, errs
}

// ResolvePaths makes relative file paths (identity, knownHosts, hostKey)
// relative to dir, the directory of the file that wrote them. Paths
// starting with ~ are left for the dialer to expand.
func (s *Spec) ResolvePaths(dir string) {
	paths := []*string{&s.Identity, &s.KnownHosts, &s.HostKey}
	if s.BMC != nil {
		paths = append(paths, &s.BMC.PasswordFile)
	}
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) && !strings.HasPrefix(*p, "~") {
			*p = filepath.Join(dir, *p)
		}
	}
}

// over returns s with every field set in o replacing s's.
func (s Spec) over(o Spec) Spec {
	pick := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	s.Address = pick(s.Address, o.Address)
	s.User = pick(s.User, o.User)
	s.Identity = pick(s.Identity, o.Identity)
	s.KnownHosts = pick(s.KnownHosts, o.KnownHosts)
	s.DialNetns = pick(s.DialNetns, o.DialNetns)
	s.Jump = pick(s.Jump, o.Jump)
	s.HostKey = pick(s.HostKey, o.HostKey)
	if o.Port != 0 {
		s.Port = o.Port
	}
	s.BMC = s.BMC.over(o.BMC)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

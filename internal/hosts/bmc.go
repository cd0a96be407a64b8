package hosts

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// BMC is how to reach a host's baseboard management controller, so that
// `fault: bmc.power, on: hv-a` finds hv-a's BMC. It holds where the
// password comes from, never the password. Its JSON names are bmc.power's
// and the bmc probe's `with` fields.
type BMC struct {
	Address      string `json:"address,omitempty"`
	Port         int    `json:"port,omitempty"`
	User         string `json:"user,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty"`
	PasswordEnv  string `json:"passwordEnv,omitempty"`
	// Netns reaches the BMC from inside this namespace of the controller
	// (a management VRF).
	Netns       string `json:"netns,omitempty"`
	CipherSuite int    `json:"cipherSuite,omitempty"`
}

// bmcVars maps inventory variables to BMC fields. Per field, the first
// name set wins: faultline's own, then the bmc_* and ipmi_* spellings
// Ansible roles and bare-metal inventories use.
var bmcVars = []struct {
	names []string
	set   func(*BMC, string) error
}{
	{[]string{"faultline_bmc_address", "bmc_address", "bmc_host", "ipmi_address", "ipmi_host"}, func(b *BMC, v string) error { b.Address = v; return nil }},
	{[]string{"faultline_bmc_port", "bmc_port", "ipmi_port"}, func(b *BMC, v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("bad port %q: want 1..65535", v)
		}
		b.Port = p
		return nil
	}},
	{[]string{"faultline_bmc_user", "bmc_user", "bmc_username", "ipmi_user", "ipmi_username"}, func(b *BMC, v string) error { b.User = v; return nil }},
	{[]string{"faultline_bmc_password_file", "bmc_password_file", "ipmi_password_file"}, func(b *BMC, v string) error { b.PasswordFile = v; return nil }},
	{[]string{"faultline_bmc_password_env", "bmc_password_env", "ipmi_password_env"}, func(b *BMC, v string) error { b.PasswordEnv = v; return nil }},
	{[]string{"faultline_bmc_netns"}, func(b *BMC, v string) error { b.Netns = v; return nil }},
	{[]string{"faultline_bmc_cipher_suite", "ipmi_cipher_suite"}, func(b *BMC, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("bad cipher suite %q: want a number", v)
		}
		b.CipherSuite = n
		return nil
	}},
}

// plainPasswords are variables that would put a BMC password in the
// inventory itself: faultline refuses to read them, so that a password
// never reaches a journal, a report or a log.
var plainPasswords = []string{"faultline_bmc_password", "bmc_password", "ipmi_password"}

// bmcOf reads a host's BMC variables; nil when it sets none. A relative
// password file is relative to the inventory.
func (r *raw) bmcOf(host string, vars map[string]rawVar) (*BMC, error) {
	var b BMC
	var errs []error
	set := false
	for _, bv := range bmcVars {
		for _, name := range bv.names {
			v, ok := vars[name]
			if !ok {
				continue
			}
			set = true
			if err := bv.set(&b, v.value); err != nil {
				errs = append(errs, fmt.Errorf("%s: host %s: %s: %w", r.at(v.line), host, v.key, err))
			}
			break
		}
	}
	for _, name := range plainPasswords {
		if v, ok := vars[name]; ok && b.PasswordFile == "" && b.PasswordEnv == "" {
			errs = append(errs, fmt.Errorf("%s: host %s: %s: faultline reads a BMC password only from a file or an environment variable: set %s_file or %s_env", r.at(v.line), host, v.key, name, name))
		}
	}
	if !set {
		return nil, errors.Join(errs...)
	}
	return &b, errors.Join(errs...) // a relative passwordFile is resolved with the host's other paths
}

// over returns b with every field set in o replacing b's.
func (b *BMC) over(o *BMC) *BMC {
	if o == nil {
		return b
	}
	if b == nil {
		c := *o
		return &c
	}
	c := *b
	for _, f := range [][2]*string{{&c.Address, &o.Address}, {&c.User, &o.User}, {&c.Netns, &o.Netns}} {
		if *f[1] != "" {
			*f[0] = *f[1]
		}
	}
	if o.PasswordFile != "" || o.PasswordEnv != "" {
		c.PasswordFile, c.PasswordEnv = o.PasswordFile, o.PasswordEnv // one source, not both
	}
	if o.Port != 0 {
		c.Port = o.Port
	}
	if o.CipherSuite != 0 {
		c.CipherSuite = o.CipherSuite
	}
	return &c
}

// With returns the BMC as `with` fields, for bmc.power and the bmc probe
// (unset fields left out).
func (b *BMC) With() map[string]any {
	m := map[string]any{}
	if b == nil {
		return m
	}
	for k, v := range map[string]string{"address": b.Address, "user": b.User, "passwordFile": b.PasswordFile, "passwordEnv": b.PasswordEnv, "netns": b.Netns} {
		if v != "" {
			m[k] = v
		}
	}
	if b.Port != 0 {
		m["port"] = b.Port
	}
	if b.CipherSuite != 0 {
		m["cipherSuite"] = b.CipherSuite
	}
	return m
}

// BMCVarNames lists the inventory variables that set a BMC's address,
// for messages.
func BMCVarNames() string {
	names := append([]string(nil), bmcVars[0].names...)
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// decodeBMC reads an inline `bmc:` mapping of a host entry.
func decodeBMC(s *Spec, name string, v any) *FieldError {
	m, ok := v.(map[string]any)
	if !ok {
		return &FieldError{name, "want a mapping (address, port, user, passwordFile, passwordEnv, netns, cipherSuite), got " + describe(v)}
	}
	var b BMC
	for _, k := range sortedKeys(m) {
		fp := name + "." + k
		switch k {
		case "address", "user", "passwordFile", "passwordEnv", "netns":
			t, ok := m[k].(string)
			if !ok || strings.TrimSpace(t) == "" {
				return &FieldError{fp, "want a non-empty string, got " + describe(m[k])}
			}
			*map[string]*string{"address": &b.Address, "user": &b.User, "passwordFile": &b.PasswordFile, "passwordEnv": &b.PasswordEnv, "netns": &b.Netns}[k] = t
		case "port":
			var tmp Spec
			if err := decodePort(&tmp, fp, m[k]); err != nil {
				return err
			}
			b.Port = tmp.Port
		case "cipherSuite":
			n, ok := m[k].(int)
			if u, uok := m[k].(uint64); uok {
				n, ok = int(u), true
			}
			if !ok {
				return &FieldError{fp, "want an integer, got " + describe(m[k])}
			}
			b.CipherSuite = n
		case "password":
			return &FieldError{fp, "faultline reads a BMC password only from a file or an environment variable: write passwordFile or passwordEnv"}
		default:
			return &FieldError{fp, "unknown field (known: address, cipherSuite, netns, passwordEnv, passwordFile, port, user)"}
		}
	}
	s.BMC = &b
	return nil
}

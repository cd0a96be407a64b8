package sshx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// SSHConfig is ~/.ssh/config then /etc/ssh/ssh_config: for each key the
// first file that sets it wins, as in OpenSSH.
type SSHConfig struct {
	files []*ssh_config.Config
}

// LoadSSHConfig reads the given files; missing files are skipped. With no
// paths it reads ~/.ssh/config and /etc/ssh/ssh_config.
func LoadSSHConfig(paths ...string) (*SSHConfig, error) {
	if len(paths) == 0 {
		home, _ := os.UserHomeDir()
		paths = []string{filepath.Join(home, ".ssh", "config"), "/etc/ssh/ssh_config"}
	}
	c := &SSHConfig{}
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ssh config: %w", err)
		}
		cfg, err := ssh_config.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("ssh config %s: %w", p, err)
		}
		c.files = append(c.files, cfg)
	}
	return c, nil
}

// get looks key up for the first alias that has it (the host's name,
// then its address).
func (c *SSHConfig) get(key string, aliases ...string) string {
	if c == nil {
		return ""
	}
	for _, a := range aliases {
		if a == "" {
			continue
		}
		for _, f := range c.files {
			if v, err := f.Get(a, key); err == nil && v != "" {
				return v
			}
		}
	}
	return ""
}

func (c *SSHConfig) getAll(key string, aliases ...string) []string {
	if c == nil {
		return nil
	}
	for _, a := range aliases {
		if a == "" {
			continue
		}
		var out []string
		for _, f := range c.files {
			if v, err := f.GetAll(a, key); err == nil {
				out = append(out, v...)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// hostSettings is one host's explicit settings and its defaults, both
// possibly empty; ~/.ssh/config sits between them.
type hostSettings struct {
	name                                string
	address, user, identity, knownHosts string
	port                                int
	dialNetns, jump, hostKey            string
	defUser, defIdentity, defKnownHosts string
	defPort                             int
	defDialNetns, defJump, defHostKey   string
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// resolve builds a Target: explicit settings, then ~/.ssh/config (looked
// up by the host's name, then its address), then the defaults, then
// OpenSSH's own defaults (port 22, ~/.ssh/id_*, ~/.ssh/known_hosts) and
// user root.
func (c *SSHConfig) resolve(s hostSettings) (*Target, error) {
	t := &Target{Name: s.name}
	aliases := []string{s.name}
	if s.address != "" && s.address != s.name {
		aliases = append(aliases, s.address)
	}
	t.Address = first(s.address, c.get("HostName", aliases...), s.name)
	t.Address = strings.ReplaceAll(t.Address, "%h", s.name)
	t.User = first(s.user, c.get("User", aliases...), s.defUser, "root")
	t.Port = s.port
	if t.Port == 0 {
		if v := c.get("Port", aliases...); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65535 {
				return nil, fmt.Errorf("host %s: ssh config: bad Port %q", s.name, v)
			}
			t.Port = p
		}
	}
	if t.Port == 0 {
		t.Port = s.defPort
	}
	if t.Port == 0 {
		t.Port = 22
	}
	switch {
	case s.identity != "":
		t.Identities = []string{s.identity}
	case len(c.getAll("IdentityFile", aliases...)) > 0:
		t.Identities = c.getAll("IdentityFile", aliases...)
	case s.defIdentity != "":
		t.Identities = []string{s.defIdentity}
	default:
		t.Identities = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}
		t.optionalIdentities = true
	}
	switch {
	case s.knownHosts != "":
		t.KnownHosts = []string{s.knownHosts}
	case c.get("UserKnownHostsFile", aliases...) != "":
		t.KnownHosts = strings.Fields(c.get("UserKnownHostsFile", aliases...))
	case s.defKnownHosts != "":
		t.KnownHosts = []string{s.defKnownHosts}
	default:
		t.KnownHosts = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts"}
	}
	for i, p := range t.Identities {
		t.Identities[i] = expandPath(p, t)
	}
	for i, p := range t.KnownHosts {
		t.KnownHosts[i] = expandPath(p, t)
	}
	t.HostKey = expandPath(first(s.hostKey, s.defHostKey), t)
	t.DialNetns = first(s.dialNetns, s.defDialNetns)
	return t, nil
}

// jumpOf is the jump host setting: explicit, ~/.ssh/config's ProxyJump,
// default; "none" means no jump.
func (c *SSHConfig) jumpOf(s hostSettings) string {
	aliases := []string{s.name}
	if s.address != "" && s.address != s.name {
		aliases = append(aliases, s.address)
	}
	j := first(s.jump, c.get("ProxyJump", aliases...), s.defJump)
	if strings.EqualFold(j, "none") {
		return ""
	}
	return j
}

// parseJump splits "[user@]host[:port]".
func parseJump(s string) (user, host string, port int, err error) {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		user, s = s[:at], s[at+1:]
	}
	host = s
	if h, p, splitErr := splitHostPort(s); splitErr == nil {
		host = h
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return "", "", 0, fmt.Errorf("bad port in jump host %q", s)
		}
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("empty jump host %q", s)
	}
	return user, host, port, nil
}

func splitHostPort(s string) (string, string, error) {
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, p, err := netSplitHostPort(s)
		return h, p, err
	}
	return "", "", errors.New("no port")
}

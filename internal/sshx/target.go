package sshx

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one connection's set-up (TCP, handshake, auth).
const DefaultTimeout = 10 * time.Second

// Target is everything needed to dial one host, resolved.
type Target struct {
	Name       string // the host's name, for errors
	Address    string
	Port       int
	User       string
	Identities []string // private key files; with SSH_AUTH_SOCK, the agent's keys too
	// optionalIdentities are defaults (~/.ssh/id_*): skipped when absent.
	optionalIdentities bool
	KnownHosts         []string // known_hosts files; missing ones are skipped
	// HostKey pins the host's public key (a .pub file) instead of
	// known_hosts: for a lab that generates its keys.
	HostKey   string
	DialNetns string  // make the first TCP connection from this namespace
	Jump      *Target // reach this host through Jump's SSH connection
	Timeout   time.Duration
	// NoAgent ignores SSH_AUTH_SOCK.
	NoAgent bool
}

// Addr is host:port.
func (t *Target) Addr() string { return net.JoinHostPort(t.Address, strconv.Itoa(t.Port)) }

func (t *Target) String() string {
	s := fmt.Sprintf("%s (%s@%s)", t.Name, t.User, t.Addr())
	if t.Jump != nil {
		s += " via " + t.Jump.Name
	}
	return s
}

func (t *Target) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultTimeout
}

// expandPath expands ~ and the ssh_config tokens faultline knows.
func expandPath(p string, t *Target) string {
	home, _ := os.UserHomeDir()
	if p == "~" {
		p = home
	} else if strings.HasPrefix(p, "~/") {
		p = filepath.Join(home, p[2:])
	}
	if !strings.Contains(p, "%") {
		return p
	}
	r := strings.NewReplacer("%%", "%", "%d", home, "%h", t.Address, "%n", t.Name,
		"%r", t.User, "%p", strconv.Itoa(t.Port), "%u", os.Getenv("USER"))
	return r.Replace(p)
}

package sshx

import (
	"fmt"
	"net"
	"strings"

	"github.com/faultline/faultline/internal/hosts"
)

var netSplitHostPort = net.SplitHostPort

// Resolve builds the Target for a host of the set: its explicit settings,
// ~/.ssh/config, the set's hostDefaults, then OpenSSH's defaults. A jump
// host is a host of the set or "[user@]host[:port]"; a comma-separated
// chain is dialed left to right. The first hop's TCP connection is made
// from the target's dialNetns when the hop sets none.
func Resolve(set *hosts.Set, cfg *SSHConfig, name string) (*Target, error) {
	return resolveHost(set, cfg, name, map[string]bool{})
}

func settingsOf(set *hosts.Set, name string, spec hosts.Spec) hostSettings {
	d := set.Defaults
	if d.Jump == name {
		d.Jump = "" // the defaults' jump host does not jump through itself
	}
	return hostSettings{
		name: name, address: spec.Address, user: spec.User, port: spec.Port,
		identity: spec.Identity, knownHosts: spec.KnownHosts, dialNetns: spec.DialNetns,
		jump: spec.Jump, hostKey: spec.HostKey,
		defUser: d.User, defPort: d.Port, defIdentity: d.Identity, defKnownHosts: d.KnownHosts,
		defDialNetns: d.DialNetns, defJump: d.Jump, defHostKey: d.HostKey,
	}
}

func resolveHost(set *hosts.Set, cfg *SSHConfig, name string, seen map[string]bool) (*Target, error) {
	if seen[name] {
		return nil, fmt.Errorf("host %s: jump hosts loop back to it", name)
	}
	seen[name] = true
	defer delete(seen, name)
	var s hostSettings
	if h, ok := set.Host(name); ok {
		s = settingsOf(set, name, h.Spec)
	} else {
		return nil, fmt.Errorf("no host %q in the inventory or hosts:", name)
	}
	return resolveSettings(set, cfg, s, seen)
}

func resolveSettings(set *hosts.Set, cfg *SSHConfig, s hostSettings, seen map[string]bool) (*Target, error) {
	t, err := cfg.resolve(s)
	if err != nil {
		return nil, err
	}
	jump := cfg.jumpOf(s)
	if jump == "" {
		return t, nil
	}
	var prev *Target
	for _, hop := range strings.Split(jump, ",") {
		hop = strings.TrimSpace(hop)
		var jt *Target
		if _, ok := set.Host(hop); ok {
			jt, err = resolveHost(set, cfg, hop, seen)
		} else {
			jt, err = resolveAdhoc(set, cfg, hop, seen)
		}
		if err != nil {
			return nil, fmt.Errorf("host %s: jump %s: %w", s.name, hop, err)
		}
		if prev != nil {
			last := jt
			for last.Jump != nil {
				last = last.Jump
			}
			last.Jump = prev
		}
		prev = jt
	}
	t.Jump = prev
	// The first hop dials from the target's namespace unless it has its own.
	firstHop := t
	for firstHop.Jump != nil {
		firstHop = firstHop.Jump
	}
	if firstHop.DialNetns == "" {
		firstHop.DialNetns = t.DialNetns
	}
	t.DialNetns = ""
	return t, nil
}

// resolveAdhoc resolves a jump host written as [user@]host[:port]: it is
// looked up in ~/.ssh/config too and gets the set's defaults.
func resolveAdhoc(set *hosts.Set, cfg *SSHConfig, spec string, seen map[string]bool) (*Target, error) {
	user, host, port, err := parseJump(spec)
	if err != nil {
		return nil, err
	}
	if seen[host] {
		return nil, fmt.Errorf("jump hosts loop back to %s", host)
	}
	seen[host] = true
	defer delete(seen, host)
	s := settingsOf(set, host, hosts.Spec{User: user, Port: port})
	s.defJump = "" // the defaults' jump host is for the hosts, not for itself
	return resolveSettings(set, cfg, s, seen)
}

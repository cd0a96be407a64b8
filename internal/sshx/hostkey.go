package sshx

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyCheck returns the callback verifying t's host key and the host
// key algorithms to negotiate (nil = any: the key is unknown, and the
// handshake goes on only far enough to report its fingerprint).
func hostKeyCheck(t *Target) (ssh.HostKeyCallback, []string, error) {
	if t.HostKey != "" {
		return pinnedKey(t)
	}
	var files []string
	for _, f := range t.KnownHosts {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("host %s: no known_hosts file (looked for %s): %w",
			t.Name, strings.Join(t.KnownHosts, ", "), ErrHostKey)
	}
	cb, err := knownhosts.New(files...)
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: known_hosts: %w", t.Name, err)
	}
	check := func(addr string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(addr, remote, key)
		if err == nil {
			return nil
		}
		e := &HostKeyError{Host: t.Name, Addr: addr, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Files: files}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &ke):
			for _, w := range ke.Want {
				e.Known = append(e.Known, fmt.Sprintf("%s %s at %s:%d", w.Key.Type(), ssh.FingerprintSHA256(w.Key), w.Filename, w.Line))
			}
		case errors.As(err, &re):
			e.Revoked = true
		default:
			return fmt.Errorf("host %s: known_hosts: %w", t.Name, err)
		}
		return e
	}
	return check, knownAlgorithms(cb, t.Addr()), nil
}

// probeKey is a key no known_hosts holds: checking it lists the keys
// recorded for an address.
// It is made on first use: a key pair costs a millisecond, and every
// command (every run and its guard) would pay it at start.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k, _ := ssh.NewPublicKey(pub)
	return k
})

// knownAlgorithms lists the host key algorithms known_hosts has for addr,
// so the server presents a key of a type on record (otherwise a host with
// an ed25519 and an ECDSA key could present the one not recorded and look
// changed).
func knownAlgorithms(cb ssh.HostKeyCallback, addr string) []string {
	var ke *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey()); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var algos []string
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algos = append(algos, x)
			}
		}
	}
	for _, w := range ke.Want {
		switch w.Key.Type() {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(w.Key.Type())
		}
	}
	return algos
}

// pinnedKey accepts exactly the public key in t.HostKey.
func pinnedKey(t *Target) (ssh.HostKeyCallback, []string, error) {
	b, err := os.ReadFile(t.HostKey)
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: host key: %w", t.Name, err)
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: host key %s: %w", t.Name, t.HostKey, err)
	}
	fixed := ssh.FixedHostKey(want)
	check := func(addr string, remote net.Addr, key ssh.PublicKey) error {
		if fixed(addr, remote, key) == nil {
			return nil
		}
		return &HostKeyError{Host: t.Name, Addr: addr, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key),
			Known: []string{fmt.Sprintf("%s %s pinned in %s", want.Type(), ssh.FingerprintSHA256(want), t.HostKey)}}
	}
	algos := []string{want.Type()}
	if want.Type() == ssh.KeyAlgoRSA {
		algos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return check, algos, nil
}

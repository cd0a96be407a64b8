package sshx

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// signers loads t's identity files and, with SSH_AUTH_SOCK set, the
// agent's keys. The returned closer ends the agent connection (after the
// handshake: the agent signs during it).
func signers(t *Target) ([]ssh.Signer, func(), error) {
	var out []ssh.Signer
	var locked []string
	closer := func() {}
	for _, f := range t.Identities {
		b, err := os.ReadFile(f)
		if err != nil {
			if t.optionalIdentities && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, closer, fmt.Errorf("host %s: identity: %w", t.Name, err)
		}
		s, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			locked = append(locked, f) // usable only through the agent
			continue
		}
		if err != nil {
			return nil, closer, fmt.Errorf("host %s: identity %s: %w", t.Name, f, err)
		}
		out = append(out, s)
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && !t.NoAgent {
		conn, err := net.Dial("unix", sock)
		if err == nil {
			closer = func() { conn.Close() }
			if as, err := agent.NewClient(conn).Signers(); err == nil {
				out = append(out, as...)
			}
		}
	}
	if len(out) == 0 {
		if len(locked) > 0 {
			return nil, closer, fmt.Errorf("host %s: identity %v is passphrase-protected: load it into ssh-agent (SSH_AUTH_SOCK): %w", t.Name, locked, ErrAuth)
		}
		return nil, closer, fmt.Errorf("host %s: no key to log in with (set identity:, ansible_ssh_private_key_file or SSH_AUTH_SOCK; looked for %v): %w", t.Name, t.Identities, ErrAuth)
	}
	return out, closer, nil
}

func fingerprints(ss []ssh.Signer) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = ssh.FingerprintSHA256(s.PublicKey())
	}
	return out
}

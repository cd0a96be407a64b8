package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHDir holds the lab's SSH material: the client key (id_ed25519, .pub),
// authorized_keys, known_hosts and a directory per node with its host key
// and sshd_config. Everything in it is 0600, directories 0700.
func SSHDir() string { return filepath.Join(stateDir, "ssh") }

// ClientKey is the private key that logs in as root on every lab node.
func ClientKey() string { return filepath.Join(SSHDir(), "id_ed25519") }

// KnownHosts lists every lab node's host key under its management address
// and its name.
func KnownHosts() string { return filepath.Join(SSHDir(), "known_hosts") }

func authorizedKeys() string { return filepath.Join(SSHDir(), "authorized_keys") }

func nodeSSHDir(node string) string { return filepath.Join(SSHDir(), node) }

func hostKey(node string) string { return filepath.Join(nodeSSHDir(node), "ssh_host_ed25519_key") }

// ensureKey loads the ed25519 key at path, or makes one (private key in
// OpenSSH PEM, public key in authorized_keys form next to it as .pub).
func ensureKey(path, comment string) (ssh.PublicKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", path, err)
		}
		return signer.PublicKey(), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := writePrivate(path+".pub", ssh.MarshalAuthorizedKey(sshPub)); err != nil {
		return nil, err
	}
	if err := writePrivate(path, pem.EncodeToMemory(block)); err != nil {
		return nil, err
	}
	return sshPub, nil
}

// writePrivate writes a 0600 file atomically.
func writePrivate(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps an old file's mode
		return err
	}
	return os.Rename(tmp, path)
}

// writeSSHKeys makes (or keeps) the client key and every node's host key,
// and writes authorized_keys and known_hosts for them.
func (l *builder) writeSSHKeys() error {
	if err := os.MkdirAll(SSHDir(), 0o700); err != nil {
		return err
	}
	client, err := ensureKey(ClientKey(), "faultline-lab")
	if err != nil {
		return err
	}
	if err := writePrivate(authorizedKeys(), ssh.MarshalAuthorizedKey(client)); err != nil {
		return err
	}
	var kh []byte
	for _, ns := range l.topo.Namespaces() {
		pub, err := ensureKey(hostKey(ns), "faultline-lab-"+ns)
		if err != nil {
			return err
		}
		a, _ := l.topo.MgmtAddress(ns)
		kh = append(kh, knownhosts.Line([]string{a.String(), ns}, pub)...)
		kh = append(kh, '\n')
	}
	return writePrivate(KnownHosts(), kh)
}

package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// rootHome is the home directory root has on every lab node, as its sshd
// sees it (bound on /root in the sshd's mount namespace; the machine's
// own /root is untouched). Its .ssh holds the lab's client key, the
// lab's known_hosts and a config naming every node, so that the nodes
// reach each other over SSH as a cluster's hosts do: a hypervisor's agent
// opens qemu+ssh://hv-c/system to define or migrate a VM there, as
// libvirt migration between real hypervisors does.
func rootHome() string { return filepath.Join(SSHDir(), "root") }

// writeRootHome writes rootHome's .ssh from the keys writeSSHKeys made.
func (l *builder) writeRootHome() error {
	dir := filepath.Join(rootHome(), ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(rootHome(), 0o700); err != nil {
		return err
	}
	for _, f := range []struct{ src, dst string }{{ClientKey(), "id_ed25519"}, {ClientKey() + ".pub", "id_ed25519.pub"}, {KnownHosts(), "known_hosts"}} {
		b, err := os.ReadFile(f.src)
		if err != nil {
			return err
		}
		if err := writePrivate(filepath.Join(dir, f.dst), b); err != nil {
			return err
		}
	}
	var conf bytes.Buffer
	conf.WriteString("# The lab's nodes by name, on the management network.\n")
	for _, n := range l.topo.Namespaces() {
		a, ok := l.topo.MgmtAddress(n)
		if !ok {
			continue
		}
		fmt.Fprintf(&conf, "Host %s\n  HostName %s\n", n, a)
	}
	conf.WriteString("Host *\n  User root\n  IdentityFile ~/.ssh/id_ed25519\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 5\n")
	return writePrivate(filepath.Join(dir, "config"), conf.Bytes())
}

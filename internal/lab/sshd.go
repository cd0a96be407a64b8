package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// SSHDPath is the OpenSSH server every lab node runs.
const SSHDPath = "/usr/sbin/sshd"

// privsepDir is where sshd (OpenSSH's compiled-in path) chroots its
// unprivileged child; the package's tmpfiles make it at boot, the lab
// makes it when it is missing and removes it again.
const privsepDir = "/run/sshd"

// sshdConfig: root by key only, on the management address only, with
// SFTP (the remote executor copies its binary with it).
const sshdConfig = `Port 22
ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
# a command's bash then skips the machine's rc files (a slow ~/.bashrc
# would delay every agent start)
SetEnv SHLVL=1
`

// startSSHDs starts an sshd in every lab namespace unless it already
// answers on the node's management address.
func (l *builder) startSSHDs(ctx context.Context) error {
	if err := l.writeSSHKeys(); err != nil {
		return fmt.Errorf("ssh keys: %w", err)
	}
	if err := l.writeRootHome(); err != nil {
		return fmt.Errorf("root's home on the nodes: %w", err)
	}
	if _, err := os.Stat(privsepDir); errors.Is(err, os.ErrNotExist) {
		if err := l.st.add(func(s *record) { s.Made = appendOnce(s.Made, privsepDir) }); err != nil {
			return err
		}
		if err := os.Mkdir(privsepDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	names := l.topo.Namespaces()
	return l.parallel(ctx, len(names), func(i int) error { return l.startSSHD(ctx, names[i]) })
}

func (l *builder) startSSHD(ctx context.Context, node string) error {
	a, _ := l.topo.MgmtAddress(node)
	listen := netip.AddrPortFrom(a, 22).String()
	if dialIn(ctx, l.mgmt, listen) == nil {
		return nil
	}
	dir := nodeSSHDir(node)
	conf := filepath.Join(dir, "sshd_config")
	if err := writePrivate(conf, fmt.Appendf(nil, sshdConfig, a, hostKey(node), authorizedKeys())); err != nil {
		return err
	}
	log := filepath.Join(dir, "sshd.log")
	spec := helperSpec{Netns: node, Argv: []string{SSHDPath, "-D", "-e", "-f", conf},
		Binds: [][2]string{{rootHome(), "/root"}}}
	if l.topo.isHypervisor(node) {
		// Its libvirtd's mount view: qemu:///system over SSH is this
		// hypervisor's libvirtd, as on a real host.
		binds, err := hypervisorBinds(node)
		if err != nil {
			return err
		}
		spec.Binds = append(spec.Binds, binds...)
	}
	pid, err := startDaemon(spec, log)
	if err != nil {
		return err
	}
	if err := l.st.addDaemon(Daemon{Kind: "sshd", Name: node, Netns: node, Pid: pid}); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for dialIn(ctx, l.mgmt, listen) != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log)
			return fmt.Errorf("sshd of %s does not listen on %s: %s", node, listen, b)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

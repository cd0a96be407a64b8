package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"libvirt.org/go/libvirt"
)

// HypervisorDir is the host directory holding a hypervisor's private
// libvirt directories and its libvirtd socket.
func HypervisorDir(hv string) string { return filepath.Join(stateDir, hv) }

// SocketPath is the libvirtd socket of a hypervisor, visible on the host.
func SocketPath(hv string) string { return filepath.Join(HypervisorDir(hv), "libvirt-sock") }

// URI is the libvirt URI of a hypervisor's own libvirtd.
func URI(hv string) string { return "qemu:///system?socket=" + SocketPath(hv) }

// privateDirs are the libvirt paths each libvirtd gets for itself.
var privateDirs = []struct{ sub, target string }{
	{"run", "/run/libvirt"},
	{"etc", "/etc/libvirt"},
	{"lib", "/var/lib/libvirt"},
	{"log", "/var/log/libvirt"},
	{"cache", "/var/cache/libvirt"},
}

const libvirtdConf = `unix_sock_dir = %q
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
`

// Guests run as root with no security driver or cgroups: the lab is a
// rehearsal rig, and the libvirt-qemu user and cgroup delegation may be
// missing. stdio_handler "file" keeps virtlogd out of the picture.
const qemuConf = `user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
`

// hypervisorBinds makes the hypervisor's private libvirt directories and
// returns them as binds (host dir -> path seen inside). Its libvirtd and
// its sshd get the same ones, so that what runs over SSH on the
// hypervisor (an agent with a libvirt fault on qemu:///system) sees that
// hypervisor's libvirt, not the machine's: /run/libvirt/libvirt-sock
// there is a link to the hypervisor's socket.
func hypervisorBinds(hv string) ([][2]string, error) {
	dir := HypervisorDir(hv)
	var binds [][2]string
	for _, d := range privateDirs {
		host := filepath.Join(dir, d.sub)
		if err := os.MkdirAll(host, 0o755); err != nil {
			return nil, err
		}
		binds = append(binds, [2]string{host, d.target})
	}
	link := filepath.Join(dir, "run", "libvirt-sock")
	if cur, err := os.Readlink(link); err != nil || cur != SocketPath(hv) {
		_ = os.Remove(link)
		if err := os.Symlink(SocketPath(hv), link); err != nil {
			return nil, fmt.Errorf("link %s: %w", link, err)
		}
	}
	return binds, nil
}

// startLibvirtd starts the hypervisor's libvirtd unless it already answers.
func (l *builder) startLibvirtd(ctx context.Context, hv string) error {
	if pingLibvirt(hv) == nil {
		return nil
	}
	dir := HypervisorDir(hv)
	binds, err := hypervisorBinds(hv)
	if err != nil {
		return err
	}
	_ = os.Remove(SocketPath(hv))
	if err := os.WriteFile(filepath.Join(dir, "etc", "libvirtd.conf"), fmt.Appendf(nil, libvirtdConf, dir), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "qemu.conf"), []byte(qemuConf), 0o644); err != nil {
		return err
	}
	spec := helperSpec{
		Netns: hv,
		Nice:  workloadNice, // its QEMUs inherit it
		Binds: binds,
		Argv:  []string{"libvirtd", "-f", "/etc/libvirt/libvirtd.conf", "-p", filepath.Join(dir, "libvirtd.pid")},
	}
	pid, err := startDaemon(spec, filepath.Join(dir, "libvirtd.out"))
	if err != nil {
		return err
	}
	if err := l.st.addDaemon(Daemon{Kind: "libvirtd", Name: hv, Netns: hv, Pid: pid}); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := pingLibvirt(hv)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("libvirtd of %s does not answer on %s (see %s): %w", hv, SocketPath(hv), filepath.Join(dir, "libvirtd.out"), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func pingLibvirt(hv string) error {
	if _, err := os.Stat(SocketPath(hv)); err != nil {
		return err
	}
	c, err := libvirt.NewConnect(URI(hv))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.GetLibVersion()
	return err
}

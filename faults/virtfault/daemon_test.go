package virtfault_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/internal/nsutil"
)

// realLab is a set of private libvirtds for the real specs and benchmarks:
// each in its own mount namespace (private /run/libvirt, /etc/libvirt,
// /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt bind-mounted
// from a temp dir), all in one fresh network namespace so migration can
// run over its loopback and vNIC taps and bridges never reach the host.
type realLab struct {
	netns    string
	shared   string // disk images, visible to every daemon
	daemons  []*daemon
	teardown []func()
}

type daemon struct {
	name string
	dir  string
	uri  string
	cmd  *exec.Cmd
	done chan struct{}
}

// libvirtDirs maps each private directory (under the daemon's temp dir)
// to where libvirtd sees it.
var libvirtDirs = map[string]string{
	"run": "/run/libvirt", "etc": "/etc/libvirt", "lib": "/var/lib/libvirt",
	"log": "/var/log/libvirt", "cache": "/var/cache/libvirt",
}

// realLabMissing says why real daemons cannot run here ("" = they can).
func realLabMissing() string {
	if os.Geteuid() != 0 {
		return "needs root to run a private libvirtd"
	}
	for _, bin := range []string{"libvirtd", "qemu-system-x86_64", "unshare", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + bin); err2 != nil {
				return bin + " is not installed"
			}
		}
	}
	return ""
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// startRealLab starts n libvirtds. The caller must call close.
func startRealLab(n int) (*realLab, error) {
	// libvirtd's QEMU driver refuses to start when its compiled-in user
	// does not exist, even if qemu.conf runs guests as root.
	if err := exec.Command("id", "libvirt-qemu").Run(); err != nil {
		if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "libvirt-qemu").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("useradd libvirt-qemu: %v: %s", err, out)
		}
	}
	l := &realLab{netns: "fl-virt" + randHex(3)}
	if err := nsutil.Create(l.netns); err != nil {
		return nil, err
	}
	l.teardown = append(l.teardown, func() { _ = nsutil.Delete(l.netns) })
	shared, err := os.MkdirTemp("", "fl-virt-shared-")
	if err != nil {
		l.close()
		return nil, err
	}
	l.shared = shared
	l.teardown = append(l.teardown, func() { _ = os.RemoveAll(shared) })
	// The bind mounts need their mount points on the host. They stay
	// (empty) afterwards: removing a directory that is a mount point in
	// another namespace (a concurrent suite's or the lab's libvirtd)
	// would detach that daemon's mount.
	for _, d := range libvirtDirs {
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(d, 0o755); err != nil {
				l.close()
				return nil, err
			}
		}
	}
	for i := range n {
		d, err := l.startDaemon(fmt.Sprintf("hv-%c", 'a'+i))
		if err != nil {
			l.close()
			return nil, err
		}
		l.daemons = append(l.daemons, d)
	}
	return l, nil
}

func (l *realLab) startDaemon(name string) (*daemon, error) {
	dir, err := os.MkdirTemp("", "fl-libvirtd-"+name+"-")
	if err != nil {
		return nil, err
	}
	d := &daemon{name: name, dir: dir, done: make(chan struct{})}
	var binds []string
	for sub, target := range libvirtDirs {
		src := filepath.Join(dir, sub)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, err
		}
		binds = append(binds, fmt.Sprintf("mount --bind %s %s", src, target))
	}
	qemuConf := `user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
cgroup_controllers = [ ]
`
	if err := os.WriteFile(filepath.Join(dir, "etc", "qemu.conf"), []byte(qemuConf), 0o644); err != nil {
		return nil, err
	}
	// Distinct host UUIDs: libvirt refuses to migrate to "the same host".
	conf := fmt.Sprintf("host_uuid = %q\n", newUUID())
	if err := os.WriteFile(filepath.Join(dir, "etc", "libvirtd.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		return nil, err
	}
	script := strings.Join(binds, " && ") + ` && exec libvirtd --pid-file "$1"`
	d.cmd = exec.Command("nsenter", "--net="+nsutil.Path(l.netns), "unshare", "--mount", "--propagation", "private",
		"sh", "-c", script, "sh", filepath.Join(dir, "libvirtd.pid"))
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := d.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() { _ = d.cmd.Wait(); log.Close(); close(d.done) }()
	l.teardown = append(l.teardown, func() { d.stop(); _ = os.RemoveAll(dir) })
	d.uri = "qemu:///system?socket=" + filepath.Join(dir, "run", "libvirt-sock")
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := libvirt.NewConnect(d.uri)
		if err == nil {
			_, _ = c.Close()
			return d, nil
		}
		select {
		case <-d.done:
			out, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
			return nil, fmt.Errorf("libvirtd %s exited: %s", name, tail(string(out)))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
			return nil, fmt.Errorf("libvirtd %s did not answer: %v: %s", name, err, tail(string(out)))
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// stop destroys the daemon's guests, stops it, and kills any QEMU it left.
func (d *daemon) stop() {
	if c, err := libvirt.NewConnect(d.uri); err == nil {
		if doms, err := c.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE); err == nil {
			for _, dom := range doms {
				_ = dom.Destroy()
				_ = dom.Free()
			}
		}
		_, _ = c.Close()
	}
	pids, _ := filepath.Glob(filepath.Join(d.dir, "run", "qemu", "*.pid"))
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
	for _, p := range pids {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (l *realLab) close() {
	for i := len(l.teardown) - 1; i >= 0; i-- {
		l.teardown[i]()
	}
}

// domainSpec is a tiny TCG guest with no OS: it sits in firmware, which
// is enough to exist, run, pause, reset and migrate.
type domainSpec struct {
	name   string
	uuid   string
	disk   string // image path; "" = none
	mac    string // "" = no vNIC
	tap    string
	noACPI bool
}

func (s domainSpec) xml() string {
	var dev strings.Builder
	if s.disk != "" {
		fmt.Fprintf(&dev, `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='vda' bus='virtio'/></disk>`, s.disk)
	}
	if s.mac != "" {
		fmt.Fprintf(&dev, `<interface type='ethernet'><mac address='%s'/><target dev='%s' managed='yes'/><model type='virtio'/></interface>`, s.mac, s.tap)
	}
	features := "<features><acpi/></features>"
	if s.noACPI {
		features = ""
	}
	return fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name><uuid>%s</uuid>
  <memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  %s
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    %s
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>`, s.name, s.uuid, features, dev.String())
}

// guest makes a spec with a unique vNIC and a small raw disk in shared.
func (l *realLab) guest(name string, withDisk, withNIC bool) (domainSpec, error) {
	s := domainSpec{name: name, uuid: newUUID()}
	if withDisk {
		s.disk = filepath.Join(l.shared, name+"-"+randHex(2)+".img")
		f, err := os.Create(s.disk)
		if err != nil {
			return s, err
		}
		if err := f.Truncate(8 << 20); err != nil {
			f.Close()
			return s, err
		}
		f.Close()
	}
	if withNIC {
		r := randHex(3)
		s.mac = "52:54:00:" + r[0:2] + ":" + r[2:4] + ":" + r[4:6]
		s.tap = "flt" + r
	}
	return s, nil
}

// define defines (persistent) and optionally starts a guest on d.
func (d *daemon) define(s domainSpec, start bool) error {
	c, err := libvirt.NewConnect(d.uri)
	if err != nil {
		return err
	}
	defer c.Close()
	dom, err := c.DomainDefineXML(s.xml())
	if err != nil {
		return err
	}
	defer dom.Free()
	if start {
		return dom.Create()
	}
	return nil
}

package onhosts_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/faultline/faultline/internal/nsutil"
)

// A copy of internal/sshx's spec site (test helpers are not exported).
//
// site is a management network for specs: a bridge in a namespace of its
// own (198.19.0.1/24, the controller dials from there) and hosts, each in
// its own namespace with a real OpenSSH server on 198.19.0.N:22.
type site struct {
	id, mgmt, dir string
	clientKey     string // private key file of the client (ed25519)
	clientPub     ssh.PublicKey
	authorized    string // authorized_keys holding clientPub
	knownHosts    string // every host's key, as known_hosts
	namespaces    []string
	hosts         []*sshd
	mu            sync.Mutex
}

type sshd struct {
	name, ns, addr string
	dir            string
	hostKeyPub     string // the host key's .pub file
	hostPub        ssh.PublicKey
	cmd            *exec.Cmd
	log            *strings.Builder
}

func randID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newSite(dir string) (*site, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("needs root")
	}
	s := &site{id: randID(), dir: dir}
	s.mgmt = "fl-xm-" + s.id
	if err := s.netns(s.mgmt); err != nil {
		return s, err
	}
	h, err := nsutil.Handle(s.mgmt)
	if err != nil {
		return s, err
	}
	defer h.Close()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := h.LinkAdd(br); err != nil {
		return s, err
	}
	if err := h.LinkSetUp(br); err != nil {
		return s, err
	}
	a, _ := netlink.ParseAddr("198.19.0.1/24")
	if err := h.AddrAdd(br, a); err != nil {
		return s, err
	}
	var priv ed25519.PrivateKey
	s.clientKey, s.clientPub, priv, err = writeKey(filepath.Join(dir, "id_ed25519"))
	_ = priv
	if err != nil {
		return s, err
	}
	s.authorized = filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(s.authorized, ssh.MarshalAuthorizedKey(s.clientPub), 0o600); err != nil {
		return s, err
	}
	s.knownHosts = filepath.Join(dir, "known_hosts")
	return s, os.WriteFile(s.knownHosts, nil, 0o600)
}

func (s *site) netns(name string) error {
	if err := nsutil.Create(name); err != nil {
		return err
	}
	s.mu.Lock()
	s.namespaces = append(s.namespaces, name)
	s.mu.Unlock()
	return nsutil.Do(name, func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/all/disable_ipv6", []byte("1"), 0o644)
	})
}

// destroy stops every sshd and deletes the namespaces.
func (s *site) destroy() {
	for _, h := range s.hosts {
		h.stop()
	}
	for _, ns := range s.namespaces {
		_ = nsutil.Delete(ns)
	}
}

// writeKey makes an ed25519 key pair: path (OpenSSH private key, 0600)
// and path.pub.
func writeKey(path string) (string, ssh.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, nil, err
	}
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return "", nil, nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		return "", nil, nil, err
	}
	sp, _ := ssh.NewPublicKey(pub)
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		return "", nil, nil, err
	}
	return path, sp, priv, nil
}

// cable joins eth<n> in ns to other: into other's br0 when bridged, else
// as a plain peer named peer.
func cable(ns, ifname, other, peer string, bridged bool) error {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	o, err := nsutil.Handle(other)
	if err != nil {
		return err
	}
	defer o.Close()
	otherNs, err := nsutil.Open(other)
	if err != nil {
		return err
	}
	defer otherNs.Close()
	tmp := "p" + randID()
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ifname}, PeerName: tmp}); err != nil {
		return err
	}
	p, err := h.LinkByName(tmp)
	if err != nil {
		return err
	}
	if err := h.LinkSetNsFd(p, int(otherNs)); err != nil {
		return err
	}
	if p, err = o.LinkByName(tmp); err != nil {
		return err
	}
	if err := o.LinkSetName(p, peer); err != nil {
		return err
	}
	if bridged {
		br, err := o.LinkByName("br0")
		if err != nil {
			return err
		}
		if err := o.LinkSetMaster(p, br); err != nil {
			return err
		}
	}
	return o.LinkSetUp(p)
}

func address(ns, ifname, cidr string) error {
	h, err := nsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return err
	}
	a, _ := netlink.ParseAddr(cidr)
	if err := h.AddrAdd(l, a); err != nil {
		return err
	}
	return h.LinkSetUp(l)
}

// addHost makes a namespace on the management bridge at 198.19.0.<n>
// with a real sshd, and records its host key in the site's known_hosts.
func (s *site) addHost(name string, n int) (*sshd, error) {
	h := &sshd{name: name, ns: fmt.Sprintf("fl-x%d-%s", n, s.id), addr: fmt.Sprintf("198.19.0.%d", n)}
	if err := s.netns(h.ns); err != nil {
		return nil, err
	}
	if err := cable(h.ns, "eth0", s.mgmt, fmt.Sprintf("h%d", n), true); err != nil {
		return nil, err
	}
	if err := address(h.ns, "eth0", h.addr+"/24"); err != nil {
		return nil, err
	}
	h.dir = filepath.Join(s.dir, name)
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return nil, err
	}
	key, pub, _, err := writeKey(filepath.Join(h.dir, "host_ed25519"))
	if err != nil {
		return nil, err
	}
	h.hostKeyPub, h.hostPub = key+".pub", pub
	s.mu.Lock()
	s.hosts = append(s.hosts, h)
	s.mu.Unlock()
	if err := h.start(s.authorized, s.mgmt); err != nil {
		return nil, err
	}
	return h, s.trust(h.addr, h.hostPub)
}

// trust appends a known_hosts line for addr:22.
func (s *site) trust(addr string, key ssh.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.knownHosts, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(addr + ":22")}, key))
	return err
}

func (h *sshd) start(authorized, from string) error {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation directory
		return err
	}
	cfg := filepath.Join(h.dir, "sshd_config")
	conf := strings.Join([]string{
		"ListenAddress " + h.addr + ":22",
		"HostKey " + strings.TrimSuffix(h.hostKeyPub, ".pub"),
		"AuthorizedKeysFile " + authorized,
		"PidFile none",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AllowTcpForwarding yes",
		"Subsystem sftp internal-sftp",
		"MaxStartups 100:30:200",
		"LogLevel " + logLevel,
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	h.log = &strings.Builder{}
	args := []string{"netns", "exec", h.ns, "/usr/sbin/sshd", "-D", "-e", "-f", cfg}
	if d := os.Getenv("FL_SSHD_LOGDIR"); d != "" { // for debugging specs
		args = append(args, "-E", filepath.Join(d, h.name+".log"))
	}
	h.cmd = exec.Command("ip", args...)
	h.cmd.Stderr = &lockedWriter{w: h.log}
	// Its own process group: stop ends the session processes sshd forks too.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := waitPort(from, h.addr+":22", 100*time.Millisecond); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("sshd on %s did not listen: %w (log: %s)", h.name, err, h.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *sshd) stop() {
	if h.cmd != nil && h.cmd.Process != nil {
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		_ = h.cmd.Wait()
		h.cmd = nil
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// waitPort dials addr from namespace ns until it answers or within expires.
func waitPort(ns, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		conn, err := nsutil.Dialer(ns)(ctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var logLevel = func() string {
	if l := os.Getenv("FL_SSHD_LOGLEVEL"); l != "" {
		return l
	}
	return "ERROR"
}()

// setLink sets a link up or down inside a namespace (cutting a host off).
func setLink(ns, name string, up bool) {
	h, err := nsutil.Handle(ns)
	if err != nil {
		panic(err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		panic(err)
	}
	if up {
		err = h.LinkSetUp(l)
	} else {
		err = h.LinkSetDown(l)
	}
	if err != nil {
		panic(err)
	}
}

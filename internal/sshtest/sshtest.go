// Package sshtest builds a management network for specs: a bridge in a
// namespace of its own and hosts, each in its own namespace with a real
// OpenSSH server, plus the keys and known_hosts to reach them. Only test
// code imports it.
package sshtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
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

// Site is a management network for specs: a bridge in a namespace of its
// own (198.19.0.1/24, the controller dials from there) and hosts, each in
// its own namespace with a real OpenSSH server on 198.19.0.N:22.
type Site struct {
	ID         string // random suffix of every namespace name
	Mgmt       string // the management namespace, the one to dial from
	Dir        string // where keys and configs are written
	ClientKey  string // private key file of the client (ed25519)
	ClientPub  ssh.PublicKey
	Authorized string // authorized_keys holding ClientPub
	KnownHosts string // every host's key, as known_hosts
	namespaces []string
	hosts      []*SSHD
	mu         sync.Mutex
}

// SSHD is one host of a Site: a namespace running a real OpenSSH server on
// Addr:22.
type SSHD struct {
	Name, NS, Addr string
	Dir            string // its sshd_config and host key
	HostKeyPub     string // the host key's .pub file
	HostPub        ssh.PublicKey
	cmd            *exec.Cmd
	log            *strings.Builder
}

// RandID is six random hex digits, to keep names of parallel runs apart.
func RandID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewSite builds the management bridge and the client's keys under dir
// (needs root). Call Destroy when done, also when NewSite fails.
func NewSite(dir string) (*Site, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("needs root")
	}
	s := &Site{ID: RandID(), Dir: dir}
	s.Mgmt = "fl-xm-" + s.ID
	if err := s.netns(s.Mgmt); err != nil {
		return s, err
	}
	h, err := nsutil.Handle(s.Mgmt)
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
	s.ClientKey, s.ClientPub, priv, err = WriteKey(filepath.Join(dir, "id_ed25519"))
	_ = priv
	if err != nil {
		return s, err
	}
	s.Authorized = filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(s.Authorized, ssh.MarshalAuthorizedKey(s.ClientPub), 0o600); err != nil {
		return s, err
	}
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	return s, os.WriteFile(s.KnownHosts, nil, 0o600)
}

func (s *Site) netns(name string) error {
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

// Hosts is every host added so far, in order.
func (s *Site) Hosts() []*SSHD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*SSHD(nil), s.hosts...)
}

// Destroy stops every sshd and deletes the namespaces.
func (s *Site) Destroy() {
	for _, h := range s.hosts {
		h.Stop()
	}
	for _, ns := range s.namespaces {
		_ = nsutil.Delete(ns)
	}
}

// WriteKey makes an ed25519 key pair: path (OpenSSH private key, 0600)
// and path.pub.
func WriteKey(path string) (string, ssh.PublicKey, ed25519.PrivateKey, error) {
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

// Cable joins eth<n> in ns to other: into other's br0 when bridged, else
// as a plain peer named peer.
func Cable(ns, ifname, other, peer string, bridged bool) error {
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
	tmp := "p" + RandID()
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

// Address gives ifname in ns the address cidr and sets it up.
func Address(ns, ifname, cidr string) error {
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

// AddHost makes a namespace on the management bridge at 198.19.0.<n>
// with a real sshd, and records its host key in the site's known_hosts.
func (s *Site) AddHost(name string, n int) (*SSHD, error) {
	h := &SSHD{Name: name, NS: fmt.Sprintf("fl-x%d-%s", n, s.ID), Addr: fmt.Sprintf("198.19.0.%d", n)}
	if err := s.netns(h.NS); err != nil {
		return nil, err
	}
	if err := Cable(h.NS, "eth0", s.Mgmt, fmt.Sprintf("h%d", n), true); err != nil {
		return nil, err
	}
	if err := Address(h.NS, "eth0", h.Addr+"/24"); err != nil {
		return nil, err
	}
	return s.launch(h, name, s.Mgmt)
}

// launch gives a host its directory and host key, registers it with the
// site and starts its sshd (bridgeNS is where its cable's far end lives),
// then trusts its key.
func (s *Site) launch(h *SSHD, name, bridgeNS string) (*SSHD, error) {
	h.Dir = filepath.Join(s.Dir, name)
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return nil, err
	}
	key, pub, _, err := WriteKey(filepath.Join(h.Dir, "host_ed25519"))
	if err != nil {
		return nil, err
	}
	h.HostKeyPub, h.HostPub = key+".pub", pub
	s.mu.Lock()
	s.hosts = append(s.hosts, h)
	s.mu.Unlock()
	if err := h.Start(s.Authorized, bridgeNS); err != nil {
		return nil, err
	}
	return h, s.Trust(h.Addr, h.HostPub)
}

// Trust appends a known_hosts line for addr:22.
func (s *Site) Trust(addr string, key ssh.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.KnownHosts, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(addr + ":22")}, key))
	return err
}

// Start runs sshd in the host's namespace, accepting the keys in
// authorized, and waits until it answers when dialled from namespace from.
func (h *SSHD) Start(authorized, from string) error {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation directory
		return err
	}
	cfg := filepath.Join(h.Dir, "sshd_config")
	conf := strings.Join([]string{
		"ListenAddress " + h.Addr + ":22",
		"HostKey " + strings.TrimSuffix(h.HostKeyPub, ".pub"),
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
		// sshd runs every command through the login shell, and bash
		// sources ~/.bashrc for a top-level shell started by sshd. This
		// machine's rc files are not the hosts' and may be slow or take
		// locks (one shared lock serialised agent starts by seconds
		// each); a shell level of 2 skips them.
		"SetEnv SHLVL=1",
		"LogLevel " + logLevel,
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	h.log = &strings.Builder{}
	args := []string{"-D", "-e", "-f", cfg}
	if d := os.Getenv("FL_SSHD_LOGDIR"); d != "" { // for debugging specs
		args = append(args, "-E", filepath.Join(d, h.Name+".log"))
	}
	h.cmd = exec.Command("/usr/sbin/sshd", args...)
	h.cmd.Stderr = &lockedWriter{w: h.log}
	// Its own process group: Stop ends the session processes sshd forks too.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Started from a thread inside the host's namespace, sshd is born there.
	if err := nsutil.Do(h.NS, h.cmd.Start); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := WaitPort(from, h.Addr+":22", 100*time.Millisecond); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("sshd on %s did not listen: %w (log: %s)", h.Name, err, h.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills sshd and every session it forked.
func (h *SSHD) Stop() {
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

// AddListenerOnly puts a host on the bridge whose port 22 accepts
// connections and never says a word.
func (s *Site) AddListenerOnly(name string, n int) (io.Closer, error) {
	ns := fmt.Sprintf("fl-x%d-%s", n, s.ID)
	if err := s.netns(ns); err != nil {
		return nil, err
	}
	if err := Cable(ns, "eth0", s.Mgmt, fmt.Sprintf("h%d", n), true); err != nil {
		return nil, err
	}
	if err := Address(ns, "eth0", fmt.Sprintf("198.19.0.%d/24", n)); err != nil {
		return nil, err
	}
	var ln net.Listener
	if err := nsutil.Do(ns, func() (err error) {
		ln, err = net.Listen("tcp", fmt.Sprintf("198.19.0.%d:22", n))
		return err
	}); err != nil {
		return nil, err
	}
	defer func() {
		_ = WaitPort(s.Mgmt, fmt.Sprintf("198.19.0.%d:22", n), 5*time.Second)
	}()
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	return ln, nil
}

// WaitPort dials addr from namespace ns until it answers or within expires.
func WaitPort(ns, addr string, within time.Duration) error {
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

// AddBehind puts a host behind jump: on a back network (198.18.77.0/24)
// only jump's namespace reaches, with its own sshd at 198.18.77.<n>.
func (s *Site) AddBehind(jump *SSHD, name string, n int) (*SSHD, error) {
	h := &SSHD{Name: name, NS: fmt.Sprintf("fl-x%d-%s", n, s.ID), Addr: fmt.Sprintf("198.18.77.%d", n)}
	if err := s.netns(h.NS); err != nil {
		return nil, err
	}
	if err := Cable(h.NS, "eth0", jump.NS, "back0", false); err != nil {
		return nil, err
	}
	if err := Address(h.NS, "eth0", h.Addr+"/24"); err != nil {
		return nil, err
	}
	if err := Address(jump.NS, "back0", "198.18.77.1/24"); err != nil {
		return nil, err
	}
	return s.launch(h, name, jump.NS)
}

var logLevel = func() string {
	if l := os.Getenv("FL_SSHD_LOGLEVEL"); l != "" {
		return l
	}
	return "ERROR"
}()

// SetLink sets a link up or down inside a namespace (cutting a host off).
func SetLink(ns, name string, up bool) {
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

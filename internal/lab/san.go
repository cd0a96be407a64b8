package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
)

// SANDir holds a SAN node's disks (sparse files) and nbd-server config.
func SANDir(node string) string { return filepath.Join(stateDir, node) }

// startSAN serves one disk per mirroring VM from the SAN node's namespace
// with nbd-server, unless it already listens.
func (l *builder) startSAN(ctx context.Context, n *Node) error {
	addr, _ := netip.ParsePrefix(n.Address)
	listen := netip.AddrPortFrom(addr.Addr(), NBDPort).String()
	if dialIn(ctx, n.Name, listen) == nil {
		return nil
	}
	size, _ := ParseSize(n.SAN.Size)
	dir := SANDir(n.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "[generic]\n\tuser = root\n\tgroup = root\n\tlistenaddr = %s\n\tport = %d\n\tallowlist = true\n", addr.Addr(), NBDPort)
	for _, vm := range l.topo.VMs {
		if !contains(vm.Mirror, n.Name) {
			continue
		}
		disk := filepath.Join(dir, vm.Name+".img")
		if _, err := os.Stat(disk); err != nil {
			f, err := os.Create(disk)
			if err != nil {
				return err
			}
			if err := f.Truncate(size); err != nil {
				f.Close()
				return err
			}
			f.Close()
		}
		fmt.Fprintf(&conf, "[%s]\n\texportname = %s\n\tflush = true\n", vm.Name, disk)
	}
	confPath := filepath.Join(dir, "nbd-server.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		return err
	}
	// nbd-server daemonizes itself (its no-fork mode serves one client
	// only); its pid file names the daemon, and Down finds it by netns anyway.
	pidFile := filepath.Join(dir, "nbd-server.pid")
	spec := helperSpec{Netns: n.Name, Nice: workloadNice, Argv: []string{"nbd-server", "-C", confPath, "-p", pidFile}}
	if _, err := startDaemon(spec, filepath.Join(dir, "nbd-server.out")); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for dialIn(ctx, n.Name, listen) != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("nbd-server of %s does not listen on %s (see %s)", n.Name, listen, filepath.Join(dir, "nbd-server.out"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return l.st.addDaemon(Daemon{Kind: "nbd-server", Name: n.Name, Netns: n.Name, Pid: pid})
}

// dialIn opens (and closes) a TCP connection from inside netns ns.
func dialIn(ctx context.Context, ns, addr string) error {
	c, err := DialIn(ctx, ns, "tcp", addr)
	if err == nil {
		c.Close()
	}
	return err
}

// DialIn connects from inside a lab namespace: the socket is made on a
// thread that is in that namespace.
func DialIn(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel() // bounds the dial only, not the connection
	return nsutil.Dialer(ns)(ctx, network, addr)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

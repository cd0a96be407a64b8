package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
)

// Options tune Up.
type Options struct {
	// GuestDir holds vmlinuz and initrd.img (default DefaultGuestDir).
	GuestDir string
	// ServeTimeout bounds the wait for every VM and VIP to serve HTTP
	// (default 3 minutes).
	ServeTimeout time.Duration
	// Progress, when set, receives one line per stage.
	Progress io.Writer
}

type builder struct {
	topo *Topology
	opts Options
	st   *stateStore
	mgmt string // the management namespace
}

func (l *builder) say(format string, args ...any) {
	if l.opts.Progress != nil {
		fmt.Fprintf(l.opts.Progress, format+"\n", args...)
	}
}

// ErrOtherTopology means a lab of another topology is up: Down it first.
var ErrOtherTopology = errors.New("a lab of another topology is up")

// Up builds the topology, starts a libvirtd per hypervisor, the SANs and
// the VMs, and returns once every VM (and every VIP) serves HTTP as seen
// from the client node. It is idempotent: what exists is kept.
func Up(ctx context.Context, topo *Topology, opts Options) (*LabStatus, error) {
	if opts.GuestDir == "" {
		opts.GuestDir = DefaultGuestDir
	}
	if opts.ServeTimeout == 0 {
		opts.ServeTimeout = 3 * time.Minute
	}
	start := time.Now()
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	if cur := st.get().Topology; cur != "" && cur != topo.Name {
		return nil, fmt.Errorf("%w (%s): run lab down", ErrOtherTopology, cur)
	}
	if err := st.add(func(s *record) { s.Topology = topo.Name; s.Spec = topo; s.Mgmt = MgmtNetns }); err != nil {
		return nil, err
	}
	l := &builder{topo: topo, opts: opts, st: st, mgmt: MgmtNetns}
	l.say("network: %d namespaces", len(topo.Namespaces()))
	if err := l.buildNetwork(ctx); err != nil {
		return nil, err
	}
	l.say("management: %s in netns %s, sshd on every node", MgmtSubnet, l.mgmt)
	if err := l.buildMgmt(); err != nil {
		return nil, err
	}
	if err := l.startSSHDs(ctx); err != nil {
		return nil, err
	}
	l.say("daemons: libvirtd on %d hypervisors, nbd-server on the SAN nodes", len(topo.Hypervisors))
	if err := l.parallel(ctx, len(topo.Hypervisors), func(i int) error {
		return l.startLibvirtd(ctx, topo.Hypervisors[i].Name)
	}); err != nil {
		return nil, err
	}
	l.say("bmcs: ipmi_sim for %d hypervisors on the management network", len(topo.Hypervisors))
	if err := l.startBMCs(ctx); err != nil {
		return nil, err
	}
	for _, n := range topo.Nodes {
		if n.SAN != nil {
			if err := l.startSAN(ctx, n); err != nil {
				return nil, err
			}
		}
	}
	l.say("vms: starting %d", len(topo.VMs))
	for _, vm := range topo.VMs {
		if err := l.startVM(vm); err != nil {
			return nil, err
		}
	}
	if err := l.startSupervisor(); err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	if err := l.waitServing(ctx); err != nil {
		return nil, err
	}
	s, err := Status(ctx)
	if err != nil {
		return nil, err
	}
	s.UpTime = time.Since(start)
	return s, nil
}

func (l *builder) parallel(ctx context.Context, n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = fn(i) }(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ClientNode is the node probes run from: the first node that is no SAN.
func (t *Topology) ClientNode() string {
	for _, n := range t.Nodes {
		if n.SAN == nil {
			return n.Name
		}
	}
	return ""
}

// VIPs lists the distinct virtual IPs of the topology.
func (t *Topology) VIPs() []string {
	var out []string
	for _, vm := range t.VMs {
		if vm.VRRP != nil {
			p, _ := netip.ParsePrefix(vm.VRRP.VIP)
			out = appendOnce(out, p.Addr().String())
		}
	}
	return out
}

func (l *builder) waitServing(ctx context.Context) error {
	client := l.topo.ClientNode()
	if client == "" {
		return nil
	}
	var targets []string
	for _, vm := range l.topo.VMs {
		p, _ := netip.ParsePrefix(vm.Address)
		targets = append(targets, p.Addr().String())
	}
	targets = append(targets, l.topo.VIPs()...)
	l.say("waiting for %s to serve HTTP (from %s)", strings.Join(targets, ", "), client)
	deadline := time.Now().Add(l.opts.ServeTimeout)
	for _, t := range targets {
		for {
			_, err := HTTPGet(ctx, client, "http://"+t+"/")
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not serve HTTP from %s: %w", t, client, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// HTTPGet fetches url from inside namespace ns and returns the body of a
// 200 answer.
func HTTPGet(ctx context.Context, ns, url string) (string, error) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return DialIn(ctx, ns, network, addr)
		},
		DisableKeepAlives: true,
	}
	c := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return string(b), nil
}

// ErrNoLab means there is no lab state file: Down removed nothing.
var ErrNoLab = errors.New("no lab state file")

// DownResult says what Down did and what it left alone.
type DownResult struct {
	Removed []string // namespaces deleted
	Skipped []string // namespaces left in place, each with the reason
	Killed  int      // processes ended
}

// Down removes the lab recorded in the state file, and nothing else:
// every process in the lab's namespaces (libvirtd, QEMU, nbd-server,
// sshd) and every recorded daemon whose start time is the recorded one,
// then the namespaces whose inode is the recorded one (their links and
// bridges go with them), the private mounts (they live in the daemons'
// mount namespaces and go with them) and the state directory. A namespace
// of a lab name that is not the recorded one (deleted and made again by
// someone else) is left alone and reported. Without a state file Down
// does nothing and returns ErrNoLab.
func Down(ctx context.Context) (*DownResult, error) {
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	res := &DownResult{}
	if !st.exists {
		return res, fmt.Errorf("%w (%s): nothing to remove", ErrNoLab, stateFile())
	}
	s := st.get()
	inodes := map[uint64]bool{}
	var mine []string
	for _, ns := range s.Namespaces {
		want := s.inode(ns)
		cur, err := nsutil.Inode(ns)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", ns, err))
		case want == 0:
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: no inode recorded, so not known to be the lab's", ns))
		case cur != want:
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: inode %d is not the lab's (%d)", ns, cur, want))
		default:
			inodes[cur] = true
			mine = append(mine, ns)
		}
	}
	var errs []error
	n, err := killLab(ctx, inodes, s.Daemons)
	res.Killed = n
	if err != nil {
		errs = append(errs, err)
	}
	for _, ns := range mine {
		if err := nsutil.Delete(ns); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Removed = append(res.Removed, ns)
	}
	if len(errs) > 0 {
		return res, errors.Join(errs...) // the state file stays for another try
	}
	for _, d := range s.Made {
		_ = os.Remove(d) // only if empty: someone else may use it now
	}
	if err := os.RemoveAll(stateDir); err != nil {
		return res, err
	}
	return res, nil
}

// killLab ends every process whose network namespace is one of the
// lab's (inodes) and every recorded daemon that is still the recorded
// process: SIGTERM, then SIGKILL after 5 s. It returns how many it ended.
func killLab(ctx context.Context, inodes map[uint64]bool, daemons []Daemon) (int, error) {
	find := func() []int {
		pids := labProcesses(inodes)
		for _, d := range daemons {
			if isDaemon(d) && !containsInt(pids, d.Pid) {
				pids = append(pids, d.Pid)
			}
		}
		return pids
	}
	first := find()
	for _, p := range first {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := find()
		if len(left) == 0 {
			return len(first), nil
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			time.Sleep(200 * time.Millisecond)
			if left = find(); len(left) > 0 {
				return len(first), fmt.Errorf("lab processes still alive: %v", left)
			}
			return len(first), nil
		}
		select {
		case <-ctx.Done():
			return len(first), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// isDaemon tells whether a recorded daemon still runs: same pid, same
// start time (pids are reused), not a zombie.
func isDaemon(d Daemon) bool {
	return d.Start != 0 && alive(d.Pid) && startTime(d.Pid) == d.Start
}

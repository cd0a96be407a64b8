package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/remote"
	"github.com/faultline/faultline/internal/sshx"
)

// HostOptions say how the controller reaches an experiment's hosts.
type HostOptions struct {
	RunID   string
	Version string // this binary's; every agent must be the same
	// GuardTTL is the lease every fault is held under on its host.
	GuardTTL time.Duration
	// SSHConfig: nil reads ~/.ssh/config and /etc/ssh/ssh_config.
	SSHConfig *sshx.SSHConfig
	// AgentDir is where the binary is copied on hosts ("" = sshx.DefaultAgentDir);
	// AgentStateDir is the agent's --state-dir there ("" = its default).
	AgentDir, AgentStateDir string
}

// Hosts is the controller's sessions with an experiment's hosts: one SSH
// connection and one agent per host, however many steps and probes run there.
type Hosts struct {
	Execs map[string]remote.Executor
	pool  *sshx.Pool
	procs []*sshx.Process
	// Addr is how each host was reached (user@address:port), for plan.
	Addr map[string]string
	// Setup is how long reaching them took.
	Setup Setup
}

// HostNames lists every host some step or probe runs on, sorted.
func HostNames(exp *experiments.Experiment) []string {
	seen := map[string]bool{}
	for _, s := range exp.Steps {
		for _, h := range s.Hosts {
			seen[h] = true
		}
	}
	for _, p := range exp.Probes {
		if p != nil && p.Host != "" {
			seen[p.Host] = true
		}
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// ConnectHosts reaches every host the experiment runs on, in bounded
// parallel: SSH (host key checked against known_hosts) and the binary on
// every host, then `faultline agent --stdio` started (it checks its own
// SHA-256; a bad copy is replaced) and its version checked.
// It is all or nothing: on any failure every session made is closed and
// the error lists every host that failed, each named. Nothing is injected.
func ConnectHosts(ctx context.Context, exp *experiments.Experiment, o HostOptions) (*Hosts, error) {
	names := HostNames(exp)
	h := &Hosts{Execs: map[string]remote.Executor{}, Addr: map[string]string{}}
	if len(names) == 0 {
		return h, nil
	}
	if exp.HostSet == nil {
		return nil, fmt.Errorf("%w: steps name hosts but the experiment has no host set", ErrPlan)
	}
	cfg := o.SSHConfig
	if cfg == nil {
		var err error
		if cfg, err = sshx.LoadSSHConfig(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPlan, err)
		}
	}
	h.pool = sshx.PoolFor(exp.HostSet, cfg)
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%w: own binary: %w", ErrPlan, err)
	}
	// Two phases, each over a bounded pool: SSH and the binary on every
	// host, then the agents. A host's hello timer starts when its agent
	// does, after every copy: copies never eat into an agent's hello.
	errs := make([]error, len(names))
	clients := make([]*sshx.Client, len(names))
	installed := make([]*sshx.Installed, len(names))
	t0 := time.Now()
	bounded(len(names), ConnectLimit, func(i int) {
		clients[i], installed[i], errs[i] = h.install(ctx, names[i], exe, o)
	})
	h.Setup.SSH = time.Since(t0)
	t1 := time.Now()
	var mu sync.Mutex
	bounded(len(names), AgentLimit, func(i int) {
		if errs[i] != nil {
			return
		}
		ex, procs, err := h.startAgent(ctx, exp, names[i], clients[i], &installed[i], exe, o)
		mu.Lock()
		defer mu.Unlock()
		h.procs = append(h.procs, procs...)
		if err != nil {
			errs[i] = err
			return
		}
		h.Execs[names[i]], h.Addr[names[i]] = ex, clients[i].Target.String()
	})
	h.Setup.Agents = time.Since(t1)
	h.Setup.Hosts = len(names)
	for i, in := range installed {
		if in != nil && in.Copied {
			h.Setup.Copied++
		}
		if errs[i] == nil && clients[i] != nil {
			h.Addr[names[i]] = clients[i].Target.String()
		}
	}
	var bad []string
	for _, err := range errs {
		if err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(bad) > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = h.Close(cctx)
		return nil, fmt.Errorf("%w: preflight failed, nothing was injected:\n%s", ErrPlan, strings.Join(bad, "\n"))
	}
	return h, nil
}

// ConnectLimit bounds the hosts being dialed and given the binary at
// once, AgentLimit those whose agent is starting: a hundred handshakes
// and copies at once only make each of them late on the controller, and
// the sessions already up (their heartbeats) wait behind them.
var ConnectLimit, AgentLimit = 8, 8

// HelloTimeout bounds one agent's start: from its exec to its hello.
const HelloTimeout = 30 * time.Second

// Setup is how long reaching the hosts took.
type Setup struct {
	Hosts  int
	Copied int           // hosts the binary had to be copied to
	SSH    time.Duration // connections and the binary on every host
	Agents time.Duration // agents started and their hellos
}

// bounded runs fn(0..n-1) with at most limit at once.
func bounded(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// install connects to a host and puts the binary there (checked by name,
// size, owner and modes; the agent checks its own hash).
func (h *Hosts) install(ctx context.Context, name, exe string, o HostOptions) (*sshx.Client, *sshx.Installed, error) {
	c, err := h.pool.Client(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	in, err := c.InstallChecked(ctx, exe, o.AgentDir)
	return c, in, err
}

// startAgent starts the agent from the installed copy and opens the
// session (hello, version). An agent that refuses its own copy (bad
// hash) has it replaced, read back and verified, and is started again.
func (h *Hosts) startAgent(ctx context.Context, exp *experiments.Experiment, name string, c *sshx.Client, inp **sshx.Installed, exe string, o HostOptions) (remote.Executor, []*sshx.Process, error) {
	var args []string
	if o.AgentStateDir != "" {
		args = append(args, "--state-dir", o.AgentStateDir)
	}
	var procs []*sshx.Process
	for try := 0; ; try++ {
		proc, err := c.RunAgent(ctx, *inp, args...)
		if err != nil {
			return nil, procs, err
		}
		procs = append(procs, proc)
		cl, err := remote.Dial(ctx, proc, remote.Config{Host: name, Run: o.RunID, Experiment: exp.Name,
			GuardTTL: o.GuardTTL, AllowLockout: exp.Safety.AllowLockout, Version: o.Version,
			HelloTimeout: HelloTimeout})
		if err == nil {
			return remote.NewHost(cl), procs, nil
		}
		if try == 0 && proc.BadBinary(2*time.Second) {
			if *inp, err = c.Reinstall(ctx, exe, o.AgentDir, *inp); err != nil {
				return nil, procs, err
			}
			continue
		}
		if se := strings.TrimSpace(proc.Stderr()); se != "" {
			err = fmt.Errorf("%w (agent said: %s)", err, se)
		}
		return nil, procs, err
	}
}

// Close ends every session (each host reverts what it still holds) and
// closes the connections.
func (h *Hosts) Close(ctx context.Context) error {
	if h == nil {
		return nil
	}
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ex := range h.Execs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ex.Close(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("host %s: close: %w", ex.Name(), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, p := range h.procs {
		_ = p.Close()
	}
	if h.pool != nil {
		_ = h.pool.Close()
	}
	return errors.Join(errs...)
}

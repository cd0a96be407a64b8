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

// ConnectHosts reaches every host the experiment runs on, in parallel:
// SSH (host key checked against known_hosts), the binary copied and
// verified, `faultline agent --stdio` started and its version checked.
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
	errs := make([]error, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, proc, addr, err := h.connect(ctx, exp, name, o)
			mu.Lock()
			defer mu.Unlock()
			if proc != nil {
				h.procs = append(h.procs, proc)
			}
			if err != nil {
				errs[i] = err
				return
			}
			h.Execs[name], h.Addr[name] = ex, addr
		}()
	}
	wg.Wait()
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

func (h *Hosts) connect(ctx context.Context, exp *experiments.Experiment, name string, o HostOptions) (remote.Executor, *sshx.Process, string, error) {
	c, err := h.pool.Client(ctx, name)
	if err != nil {
		return nil, nil, "", err
	}
	addr := c.Target.String()
	proc, err := startAgent(ctx, c, o)
	if err != nil {
		return nil, nil, addr, err
	}
	cl, err := remote.Dial(ctx, proc, remote.Config{Host: name, Run: o.RunID, Experiment: exp.Name,
		GuardTTL: o.GuardTTL, AllowLockout: exp.Safety.AllowLockout, Version: o.Version,
		// The agent starts its host guard before it answers; many hosts
		// at once on a busy machine take longer than the default.
		HelloTimeout: 30 * time.Second})
	if err != nil {
		if se := strings.TrimSpace(proc.Stderr()); se != "" {
			err = fmt.Errorf("%w (agent said: %s)", err, se)
		}
		return nil, proc, addr, err
	}
	return remote.NewHost(cl), proc, addr, nil
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

// startAgent copies this binary to the host (verified by its SHA-256)
// and starts `faultline agent --stdio` from the copy.
func startAgent(ctx context.Context, c *sshx.Client, o HostOptions) (*sshx.Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("host %s: own binary: %w", c.Target.Name, err)
	}
	in, err := c.Install(ctx, exe, o.AgentDir)
	if err != nil {
		return nil, err
	}
	var args []string
	if o.AgentStateDir != "" {
		args = append(args, "--state-dir", o.AgentStateDir)
	}
	return c.Start(ctx, in.Path, append(args, "agent", "--stdio")...)
}

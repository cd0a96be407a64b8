package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/session"
)

// Where the agent lives on hosts: FAULTLINE_AGENT_DIR holds the copied
// binaries (default /var/lib/faultline/agent), FAULTLINE_AGENT_STATE_DIR
// is the agent's state directory there (default /var/lib/faultline).
const (
	envAgentDir      = "FAULTLINE_AGENT_DIR"
	envAgentStateDir = "FAULTLINE_AGENT_STATE_DIR"
)

func init() { engine.DefaultHosts = hostOptions("", nil) }

func hostOptions(runID string, exp *experiments.Experiment) engine.HostOptions {
	o := engine.HostOptions{RunID: runID, Version: version, GuardTTL: session.DefaultGuardTTL,
		AgentDir: os.Getenv(envAgentDir), AgentStateDir: os.Getenv(envAgentStateDir)}
	if exp != nil {
		o.GuardTTL = session.GuardTTL(exp)
	}
	return o
}

// connectHosts reaches every host the experiment runs on (nil when it
// names none); any failure is a preflight error naming each host.
func connectHosts(c *cli.Context, exp *experiments.Experiment, runID string) (*engine.Hosts, error) {
	if len(engine.HostNames(exp)) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(c.Context, 2*time.Minute)
	defer cancel()
	return engine.ConnectHosts(ctx, exp, hostOptions(runID, exp))
}

// closeHosts ends every session; each host reverts what it still holds.
func closeHosts(h *engine.Hosts) {
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "faultline: hosts:", err)
	}
}

// printHosts is plan's view of the hosts: how each is reached, what runs
// there, and the blast radius across hosts.
func printHosts(plan *engine.Plan) {
	if plan.Hosts == nil || len(plan.Hosts.Execs) == 0 {
		return
	}
	steps := map[string][]string{}
	targets := map[string]int{}
	for _, s := range plan.Steps {
		for _, h := range s.Step.Hosts {
			steps[h] = append(steps[h], "step "+s.Step.Name)
		}
		for _, t := range s.Targets() {
			if h, _, ok := strings.Cut(strings.TrimPrefix(t.ID, "host:"), "/"); ok && strings.HasPrefix(t.ID, "host:") {
				targets[h]++
			}
		}
	}
	for _, p := range plan.Probes {
		if p.Host != "" {
			steps[p.Host] = append(steps[p.Host], "probe "+p.Name)
		}
	}
	names := make([]string, 0, len(plan.Hosts.Execs))
	for n := range plan.Hosts.Execs {
		names = append(names, n)
	}
	sort.Strings(names)
	su := plan.Hosts.Setup
	fmt.Printf("hosts (agent reached over SSH, version checked; %d hosts in %s: SSH and binary %s, %d copied; agents %s):\n",
		su.Hosts, (su.SSH + su.Agents).Round(time.Millisecond), su.SSH.Round(time.Millisecond), su.Copied, su.Agents.Round(time.Millisecond))
	for _, n := range names {
		fmt.Printf("  %s: %s; %d targets\n", plan.Hosts.Addr[n], strings.Join(steps[n], ", "), targets[n])
	}
	for _, s := range plan.Steps {
		if len(s.Step.Hosts) > 1 && s.Step.Seed != nil {
			fmt.Printf("  step %s: on %q picked %s (seed %d)\n", s.Step.Name, s.Step.On, strings.Join(s.Step.Hosts, ", "), *s.Step.Seed)
		}
	}
	touched := 0
	for _, n := range names {
		if targets[n] > 0 {
			touched++
		}
	}
	fmt.Printf("blast radius across hosts: %d of %d hosts touched\n", touched, len(names))
}

// printHostClocks states, per host, how well its samples and stamps were
// mapped onto this machine's clock.
func printHostClocks(plan *engine.Plan) {
	for _, r := range engine.HostRecords(plan.Hosts) {
		fmt.Printf("host %s: clock mapped within ±%s (round trip %s, %d samples); agent journal %s\n",
			r.Host, r.ClockError, r.RTT, r.Samples, r.Journal)
	}
}

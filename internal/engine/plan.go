// Package engine plans and executes an experiment: it builds probes and
// faults from the experiment, checks them before anything is touched,
// runs the steps on their schedule while the sampler probes, journals
// every event, reverts everything at the end or on abort, and returns the
// verdicts read back from its own journal (so a report of that journal
// can never disagree with the run).
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"
)

// ErrPlan marks errors found while planning: nothing was injected.
var ErrPlan = errors.New("plan")

// PlannedStep is one step with its fault or action built.
type PlannedStep struct {
	Step   *experiments.Step
	Fault  faults.Fault  // nil for actions
	Action faults.Action // nil for faults
}

// Describe is the human form of the step.
func (p *PlannedStep) Describe() string {
	if p.Fault != nil {
		return p.Fault.Describe()
	}
	return p.Action.Describe()
}

// Targets the step touches.
func (p *PlannedStep) Targets() []faults.Target {
	if p.Fault != nil {
		return p.Fault.Targets()
	}
	return p.Action.Targets()
}

// PlannedProbe is a probe ready for the sampler.
type PlannedProbe struct {
	Name    string
	Def     *experiments.Probe
	Prober  probes.Prober
	Every   time.Duration
	Timeout time.Duration
	// Host is where it samples ("" = this machine, with Prober).
	Host string
}

// Plan is an experiment with everything resolved.
type Plan struct {
	Exp     *experiments.Experiment
	Steps   []*PlannedStep
	Probes  []*PlannedProbe
	Targets []faults.Target // distinct, sorted
	// Warnings from Preflight that do not stop the run.
	Warnings []string
	// Lockout lists the steps that would cut the operator off (set by
	// CheckLockout; allowed only with safety.allowLockout and a guard).
	Lockout        []LockoutRisk
	lockoutChecked bool
	// Hosts are the sessions steps and probes with `on:` run through.
	Hosts *Hosts
}

// NewPlan builds the probes, faults and actions of an experiment. It
// touches nothing. runID scopes resources a fault creates (nftables tables).
func NewPlan(exp *experiments.Experiment, runID string) (*Plan, error) {
	return NewPlanOn(context.Background(), exp, runID, nil)
}

// NewPlanOn is NewPlan for an experiment whose steps or probes run on
// hosts: hosts are its sessions (ConnectHosts), and each such step is
// built by the agent of every host its `on:` selected.
func NewPlanOn(ctx context.Context, exp *experiments.Experiment, runID string, hosts *Hosts) (*Plan, error) {
	p := &Plan{Exp: exp, Hosts: hosts}
	var errs []string
	names := exp.ProbeOrder
	if len(names) == 0 {
		for n := range exp.Probes {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, name := range names {
		def := exp.Probes[name]
		d := def.Def(name)
		if def.Host != "" {
			// Built and sampled by the host's agent, with its registry.
			p.Probes = append(p.Probes, &PlannedProbe{Name: name, Def: def, Host: def.Host,
				Every: d.Interval(), Timeout: probes.Timeout(d)})
			continue
		}
		pr, err := probes.New(d)
		if err != nil {
			errs = append(errs, fmt.Sprintf("probe %s: %v", name, err))
			continue
		}
		p.Probes = append(p.Probes, &PlannedProbe{Name: name, Def: def, Prober: pr,
			Every: d.Interval(), Timeout: probes.Timeout(d)})
	}
	seen := map[faults.Target]bool{}
	for _, st := range exp.Steps {
		var ps *PlannedStep
		var err error
		if len(st.Hosts) > 0 {
			ps, err = buildStepOnHosts(ctx, st, exp.Name, runID, hosts)
		} else {
			ps, err = buildStep(st, exp.Name, runID)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: step %s: %v", exp.File, st.Line, st.Name, err))
			continue
		}
		p.Steps = append(p.Steps, ps)
		for _, t := range ps.Targets() {
			if !seen[t] {
				seen[t] = true
				p.Targets = append(p.Targets, t)
			}
		}
	}
	sort.Slice(p.Targets, func(i, j int) bool { return p.Targets[i].String() < p.Targets[j].String() })
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrPlan, strings.Join(errs, "\n"))
	}
	if max := exp.Safety.MaxTargets; max > 0 && len(p.Targets) > max {
		return nil, fmt.Errorf("%w: the plan touches %d targets, more than safety.maxTargets %d: %s",
			ErrPlan, len(p.Targets), max, targetList(p.Targets))
	}
	// Lock-out: refused here unless allowed; Run refuses an allowed
	// lock-out again when it has no guard.
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.CheckLockout(lctx, hostLockoutCheck(), true); err != nil {
		return nil, err
	}
	return p, nil
}

func targetList(ts []faults.Target) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

func buildStep(st *experiments.Step, expName, runID string) (*PlannedStep, error) {
	kind, ok := faults.Lookup(st.Kind())
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", st.Kind())
	}
	with := st.With
	if with == nil {
		with = map[string]any{}
	}
	params, err := json.Marshal(with)
	if err != nil {
		return nil, fmt.Errorf("with: %w", err)
	}
	ps := &PlannedStep{Step: st}
	if st.Fault != "" {
		if kind.NewFault == nil {
			return nil, fmt.Errorf("%q is an action, not a fault", st.Fault)
		}
		f, err := kind.NewFault(params)
		if err != nil {
			return nil, err
		}
		if sc, ok := f.(faults.Scoped); ok {
			sc.SetScope(runID, st.Name)
		}
		ps.Fault = f
	} else {
		if kind.NewAction == nil {
			return nil, fmt.Errorf("%q is a fault, not an action", st.Action)
		}
		a, err := kind.NewAction(params)
		if err != nil {
			return nil, err
		}
		ps.Action = a
	}
	return ps, nil
}

// Preflight checks every step that can check itself; all errors at once.
//
// A target that is missing now but comes after an action (domain.start,
// domain.migrate, exec...) may be made by that action: such a step only
// gets a warning in p.Warnings, and is checked again when it runs.
func (p *Plan) Preflight(ctx context.Context) error {
	var errs []string
	p.Warnings = nil
	// A probe that reads from a server (Prometheus) checks it is there
	// and accepts the probe's query.
	for _, pp := range p.Probes {
		if pf, ok := pp.Prober.(probes.Preflighter); ok {
			if err := pf.Preflight(ctx); err != nil {
				errs = append(errs, fmt.Sprintf("%s: probe %s (%s): %v", p.Exp.File, pp.Name, pp.Def.Kind, err))
			}
		}
	}
	afterAction := false
	for _, s := range p.Steps {
		prevAction := afterAction
		if s.Action != nil {
			afterAction = true
		}
		var pf faults.Preflighter
		var ok bool
		if s.Fault != nil {
			pf, ok = s.Fault.(faults.Preflighter)
		} else {
			pf, ok = s.Action.(faults.Preflighter)
		}
		if !ok {
			continue
		}
		if err := pf.Preflight(ctx); err != nil {
			msg := fmt.Sprintf("%s:%d: step %s (%s): %v", p.Exp.File, s.Step.Line, s.Step.Name, s.Step.Kind(), err)
			if prevAction && errors.Is(err, faults.ErrNotFound) {
				p.Warnings = append(p.Warnings, msg+" (an earlier action may create it; checked again when the step runs)")
				continue
			}
			errs = append(errs, msg)
		}
	}
	errs = append(errs, p.preflightProbes()...)
	errs = append(errs, p.preflightHostProbes(ctx)...)
	if len(errs) > 0 {
		return fmt.Errorf("%w: preflight failed, nothing was injected:\n%s", ErrPlan, strings.Join(errs, "\n"))
	}
	return nil
}

// preflightProbes checks that the namespace of every probe that names one
// exists: a probe in a missing namespace fails every check, and would
// pass off a typo as an outage.
func (p *Plan) preflightProbes() []string {
	var errs []string
	for _, pr := range p.Probes {
		ns := pr.Def.Netns
		if nsutil.IsHost(ns) || pr.Host != "" {
			continue
		}
		_, err := nsutil.Inode(ns)
		switch {
		case errors.Is(err, os.ErrNotExist):
			errs = append(errs, fmt.Sprintf("%s: probe %s: netns %s does not exist", p.Exp.File, pr.Name, ns))
		case err != nil:
			errs = append(errs, fmt.Sprintf("%s: probe %s: netns %s: %v", p.Exp.File, pr.Name, ns, faults.Classify(err)))
		}
	}
	return errs
}

// Schedule is the planned offset of each step from the method start,
// assuming each step starts on time.
func (p *Plan) Schedule() []time.Duration {
	out := make([]time.Duration, len(p.Steps))
	var prev time.Duration
	for i, s := range p.Steps {
		out[i] = stepOffset(s.Step, prev)
		prev = out[i]
	}
	return out
}

// stepOffset: `at` from the method start, else the previous step's start plus `wait`.
func stepOffset(s *experiments.Step, prevStart time.Duration) time.Duration {
	if s.At != nil {
		return s.At.D()
	}
	return prevStart + s.Wait.D()
}

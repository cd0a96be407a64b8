package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/remote"
	"github.com/faultline/faultline/internal/sshx"
)

// DefaultHosts says how recover and game days reach hosts (the binary's
// version, where the agent lives on hosts); the command line sets it.
var DefaultHosts HostOptions

// recoverOnHosts sends each host's record of a step back to that host
// through a fresh agent session, which reverts it there (the host checks
// that the record names what faultline made). The hosts are reached as
// the run reached them: the journal keeps the experiment's host set.
func recoverOnHosts(ctx context.Context, run *journal.Run, step string, u faults.Undo, o RecoverOptions, a RecoverAction) (RecoverAction, error) {
	var hu hostsUndo
	if err := json.Unmarshal(u.Params, &hu); err != nil {
		a.Outcome, a.Error = OutcomeRefused, err.Error()
		return a, fmt.Errorf("%w: %s: %v", faults.ErrUntrusted, hostsUndoKind, err)
	}
	names := make([]string, len(hu.Records))
	for i, rec := range hu.Records {
		var ru remote.RemoteUndo
		if rec.Kind != remote.UndoKind || json.Unmarshal(rec.Params, &ru) != nil || ru.Host == "" {
			a.Outcome, a.Error = OutcomeRefused, "a host record that names no host"
			return a, fmt.Errorf("%w: %s: record %d names no host", faults.ErrUntrusted, hostsUndoKind, i)
		}
		names[i] = ru.Host
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	where := "on " + strings.Join(sorted, ", ")
	if o.DryRun {
		a.Outcome, a.Error = OutcomeWouldRevert, where
		return a, nil
	}
	exp := run.Header.Experiment
	if exp == nil || exp.HostSet == nil {
		a.Outcome, a.Error = OutcomeFailed, "the journal does not say how to reach "+strings.Join(sorted, ", ")
		return a, errors.New(a.Error)
	}
	cfg, err := sshx.LoadSSHConfig()
	if err != nil {
		a.Outcome, a.Error = OutcomeFailed, err.Error()
		return a, err
	}
	pool := sshx.PoolFor(exp.HostSet, cfg)
	defer pool.Close()
	hopts := DefaultHosts
	errs := make([]error, len(hu.Records))
	var wg sync.WaitGroup
	for i, rec := range hu.Records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			errs[i] = revertOnHost(rctx, pool, names[i], rec.Params, hopts)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		a.Outcome, a.Error = OutcomeFailed, err.Error()
		return a, err
	}
	a.Outcome, a.Error = OutcomeReverted, where
	return a, journal.AppendStep(a.Journal, journal.StepRec{Step: step, Ev: journal.EvReverted, At: -1, By: o.By})
}

func revertOnHost(ctx context.Context, pool *sshx.Pool, host string, params json.RawMessage, o HostOptions) error {
	c, err := pool.Client(ctx, host)
	if err != nil {
		return err
	}
	var args []string
	if o.AgentStateDir != "" {
		args = append(args, "--state-dir", o.AgentStateDir)
	}
	proc, in, err := c.StartAgent(ctx, o.AgentDir, args...)
	if err != nil {
		return err
	}
	err = remote.RevertOnHost(ctx, proc, o.Version, params)
	proc.Close()
	if err != nil && proc.BadBinary(2*time.Second) {
		// The copy failed its own hash: replace it and try once more.
		exe, xerr := os.Executable()
		if xerr != nil {
			return xerr
		}
		if in, err = c.Reinstall(ctx, exe, o.AgentDir, in); err != nil {
			return err
		}
		if proc, err = c.RunAgent(ctx, in, args...); err != nil {
			return err
		}
		defer proc.Close()
		return remote.RevertOnHost(ctx, proc, o.Version, params)
	}
	return err
}

package procfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
)

// procFault is both kinds: Preflight and Prepare resolve the selection
// (Prepare records it by PID and start time), Inject sends sig once to
// every recorded process still alive as itself, and Revert sends cont
// (SIGCONT for process.pause; nothing for process.kill).
type procFault struct {
	kind string
	sel  *Selector
	sig  unix.Signal
	cont unix.Signal // 0: no revert

	mu       sync.Mutex
	matched  []procRec // what Preflight saw
	undo     *procUndo
	injected bool
	injErr   error
	skipped  []string
}

func (f *procFault) Describe() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := fmt.Sprintf("%s %s to %s", f.kind, signalName(f.sig), f.sel)
	switch {
	case f.undo != nil:
		s += ": pids " + pidList(f.undo.Procs)
	case f.matched != nil:
		s += ": pids now " + pidList(f.matched)
	}
	if len(f.skipped) > 0 {
		s += "; skipped " + strings.Join(f.skipped, "; ")
	}
	return s
}

func (f *procFault) Targets() []faults.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps := f.matched
	if f.undo != nil {
		ps = f.undo.Procs
	}
	if ps == nil {
		return []faults.Target{f.sel.selectorTarget()}
	}
	ts := make([]faults.Target, len(ps))
	for i, p := range ps {
		ts[i] = faults.Target{Kind: "process", ID: targetID(f.sel.nsPrefix(), p)}
	}
	return ts
}

// Preflight resolves the selection now, changing nothing; an empty
// selection is an error naming the selector.
func (f *procFault) Preflight(ctx context.Context) error {
	ps, err := f.sel.resolve(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", f.kind, err)
	}
	f.mu.Lock()
	f.matched = records(ps)
	f.mu.Unlock()
	return nil
}

// Prepare records the selection by PID and start time. Once injected,
// the record is final: preparing again changes nothing.
func (f *procFault) Prepare(ctx context.Context) (faults.Undo, error) {
	f.mu.Lock()
	if f.injected && f.undo != nil {
		u := *f.undo
		f.mu.Unlock()
		return f.marshal(u)
	}
	f.mu.Unlock()
	ps, err := f.sel.resolve(ctx)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, err)
	}
	u := procUndo{Selector: f.sel.String(), Netns: f.sel.Netns, Seed: f.sel.Seed, Procs: records(ps)}
	if f.cont == 0 {
		u.Signal = int(f.sig)
	}
	f.mu.Lock()
	f.undo = &u
	f.mu.Unlock()
	return f.marshal(u)
}

func (f *procFault) marshal(u procUndo) (faults.Undo, error) {
	raw, err := json.Marshal(u)
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: f.kind, Params: raw}, nil
}

// Inject signals every recorded process once: injecting again returns
// the first result and signals nothing. A process that exited or whose
// PID now names another process is skipped and reported; it is an error
// only when nothing at all was signalled.
func (f *procFault) Inject(ctx context.Context) error {
	f.mu.Lock()
	u, done := f.undo, f.injected
	f.mu.Unlock()
	if done {
		return f.injErr
	}
	if u == nil {
		if _, err := f.Prepare(ctx); err != nil {
			return err
		}
		f.mu.Lock()
		u = f.undo
		f.mu.Unlock()
	}
	prot := protected()
	var skipped []string
	sent := 0
	for _, p := range u.Procs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := signalRec(p, f.sig, prot); err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		sent++
	}
	var injErr error
	if sent == 0 {
		injErr = fmt.Errorf("%s: no selected process could be signalled: %s", f.kind, strings.Join(skipped, "; "))
	}
	f.mu.Lock()
	f.injected, f.injErr, f.skipped = true, injErr, skipped
	f.mu.Unlock()
	return injErr
}

// Revert continues the recorded processes (process.pause); process.kill
// has nothing to revert.
func (f *procFault) Revert(ctx context.Context) error {
	if f.cont == 0 {
		return nil
	}
	f.mu.Lock()
	u := f.undo
	f.mu.Unlock()
	if u == nil {
		return nil
	}
	return continueAll(ctx, f.kind, *u, f.cont)
}

// continueAll sends sig to every recorded process whose start time still
// matches; exited and reused PIDs are skipped, so it is idempotent and
// safe in a fresh process.
func continueAll(ctx context.Context, kind string, u procUndo, sig unix.Signal) error {
	if err := trust(u); err != nil {
		return fmt.Errorf("revert %s: %w", kind, err)
	}
	prot := protected()
	var errs []error
	for _, p := range u.Procs {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := signalRec(p, sig, prot)
		if err != nil && !errors.Is(err, faults.ErrNotFound) && !errors.Is(err, errReused) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("revert %s: %w", kind, err)
	}
	return nil
}

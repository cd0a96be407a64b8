package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/faults"
)

// linkCore is what the link and switch faults share: the namespace, a
// netlink handle bound to it (opened at Prepare, so Inject is one netlink
// call; closed by Revert), the namespace's inode and the snapshot Revert
// restores.
type linkCore struct {
	netns string
	with  json.RawMessage

	mu     sync.Mutex
	h      *netlink.Handle
	inode  uint64
	before *NetnsSnapshot
	// injected is set from Inject to Revert: a Prepare in between keeps
	// the snapshot rather than record the faulted state.
	injected bool
}

// linkUndo is the undo record of every link and switch fault: the fault's
// own parameters, the inode of the namespace it touched and the snapshot.
type linkUndo struct {
	With   json.RawMessage `json:"with"`
	Inode  uint64          `json:"inode"`
	Before NetnsSnapshot   `json:"before"`
}

func newLinkCore(netns string, params any) (*linkCore, error) {
	with, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return &linkCore{netns: netns, with: with}, nil
}

// handleLocked returns the handle after checking the namespace is still the
// one recorded: a handle keeps a deleted namespace alive, and acting on that
// orphan would look like success.
func (c *linkCore) handleLocked() (*netlink.Handle, error) {
	if err := linkCheckSameNetns(c.netns, c.inode); err != nil {
		c.closeLocked()
		return nil, err
	}
	if c.h == nil {
		h, err := openLinkHandle(c.netns)
		if err != nil {
			return nil, err
		}
		c.h = h
	}
	return c.h, nil
}

func (c *linkCore) closeLocked() {
	if c.h != nil {
		c.h.Close()
		c.h = nil
	}
}

// prepareLocked snapshots the links that scope picks from the namespace.
func (c *linkCore) prepareLocked(ctx context.Context, scope func(NetnsSnapshot) ([]string, error)) error {
	if c.injected && c.before != nil {
		return nil
	}
	if c.inode == 0 {
		ino, err := linkNetnsInode(c.netns)
		if err != nil {
			return err
		}
		c.inode = ino
	}
	h, err := c.handleLocked()
	if err != nil {
		return err
	}
	full, err := snapshotTake(ctx, h, c.netns)
	if err != nil {
		return err
	}
	names, err := scope(full)
	if err != nil {
		return err
	}
	only := full.Only(names)
	c.before = &only
	return nil
}

// prepare is Prepare of every link and switch fault: snapshot, then the
// undo record.
func (c *linkCore) prepare(ctx context.Context, kind string, scope func(NetnsSnapshot) ([]string, error)) (faults.Undo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.prepareLocked(ctx, scope); err != nil {
		return faults.Undo{}, fmt.Errorf("%s: prepare: %w", kind, err)
	}
	return c.undoLocked(kind)
}

// inject is Inject of the link and switch faults: it prepares when Prepare
// was skipped (there must be a snapshot to revert to), then lets act change
// the links through the namespace's handle.
func (c *linkCore) inject(ctx context.Context, kind string, scope func(NetnsSnapshot) ([]string, error), act func(*netlink.Handle) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.before == nil {
		if err := c.prepareLocked(ctx, scope); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	h, err := c.handleLocked()
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	c.injected = true
	if err := act(h); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// revert is Revert of the link and switch faults.
func (c *linkCore) revert(ctx context.Context, kind string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.restoreLocked(ctx); err != nil {
		return fmt.Errorf("%s revert: %w", kind, err)
	}
	return nil
}

// setEach calls set on each named link and reports every failure, not just
// the first: a half-applied fault should say which links it missed.
func (c *linkCore) setEach(names []string, op string, set func(netlink.Link) error) error {
	var errs []error
	for _, n := range names {
		if err := set(c.link(n)); err != nil {
			errs = append(errs, linkErr(c.netns, n, op, err))
		}
	}
	return errors.Join(errs...)
}

func (c *linkCore) undoLocked(kind string) (faults.Undo, error) {
	p, err := json.Marshal(linkUndo{With: c.with, Inode: c.inode, Before: *c.before})
	if err != nil {
		return faults.Undo{}, fmt.Errorf("%s: undo record: %w", kind, err)
	}
	return faults.Undo{Kind: kind, Params: p}, nil
}

// restoreLocked puts the snapshot back and closes the handle. A fault this
// object never injected has nothing to undo, and leaves alone whatever
// changed since Prepare. (A fault rebuilt from an undo record cannot know,
// so it restores.)
func (c *linkCore) restoreLocked(ctx context.Context) error {
	if c.before == nil || !c.injected {
		c.closeLocked()
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	h, err := c.handleLocked()
	if err != nil {
		return err
	}
	defer c.closeLocked()
	if err := linkRestoreSnapshot(ctx, h, c.netns, *c.before); err != nil {
		return err
	}
	c.injected = false
	return nil
}

// link returns a handle-ready link from the snapshot, so Inject needs no
// lookup. Kernel link indexes are not reused soon, so a link recreated since
// Prepare fails with "not found" rather than hitting another link.
func (c *linkCore) link(name string) netlink.Link {
	for _, l := range c.before.Links {
		if l.Name == name {
			return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: l.Name, Index: l.Index}}
		}
	}
	return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name}}
}

// linkRequire fails with faults.ErrNotFound for names missing from s.
func linkRequire(netns string, s NetnsSnapshot, names []string) error {
	have := map[string]bool{}
	for _, l := range s.Links {
		have[l.Name] = true
	}
	for _, n := range names {
		if !have[n] {
			return fmt.Errorf("link %s: %w", linkID(netns, n), faults.ErrNotFound)
		}
	}
	return nil
}

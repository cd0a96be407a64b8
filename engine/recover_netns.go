package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/nsutil"
)

// nsRef is a namespace an undo record names, with the inode it had when the
// fault was prepared.
type nsRef struct {
	Name  string
	Inode uint64
}

// undoNamespaces finds the namespaces an undo record was taken in. Network
// faults record them in one of three shapes: {netns, inode},
// {with: {netns}, inode}, or {netns: [{name, inode}...]}. Other records
// (libvirt) name none.
func undoNamespaces(u faults.Undo) []nsRef {
	var rec struct {
		Netns json.RawMessage `json:"netns"`
		Inode uint64          `json:"inode"`
		With  struct {
			Netns json.RawMessage `json:"netns"`
		} `json:"with"`
	}
	if json.Unmarshal(u.Params, &rec) != nil || len(rec.Netns) == 0 && rec.Inode == 0 {
		return nil
	}
	raw := rec.Netns
	if len(raw) == 0 {
		raw = rec.With.Netns
	}
	var one string
	if len(raw) == 0 || json.Unmarshal(raw, &one) == nil {
		if rec.Inode == 0 {
			return nil
		}
		return []nsRef{{Name: one, Inode: rec.Inode}}
	}
	var many []struct {
		Name  string `json:"name"`
		Inode uint64 `json:"inode"`
	}
	if json.Unmarshal(raw, &many) != nil {
		return nil
	}
	var out []nsRef
	for _, m := range many {
		if m.Inode != 0 {
			out = append(out, nsRef{Name: m.Name, Inode: m.Inode})
		}
	}
	return out
}

// undoNamespacesGone is true when every namespace the record names was
// deleted or recreated (another inode) since the fault was prepared: then
// nothing of the fault can be left, and reverting could only touch a
// namespace the fault never saw.
func undoNamespacesGone(u faults.Undo) (bool, string) {
	refs := undoNamespaces(u)
	if len(refs) == 0 {
		return false, ""
	}
	var why []string
	for _, r := range refs {
		ino, err := nsutil.Inode(r.Name)
		switch {
		case errors.Is(err, os.ErrNotExist):
			why = append(why, fmt.Sprintf("%s was deleted", nsLabel(r.Name)))
		case err != nil:
			return false, ""
		case ino != r.Inode:
			why = append(why, fmt.Sprintf("%s was recreated (inode %d, recorded %d)", nsLabel(r.Name), ino, r.Inode))
		default:
			return false, ""
		}
	}
	return true, strings.Join(why, "; ") + ": nothing of the fault is left"
}

func nsLabel(name string) string {
	if nsutil.IsHost(name) {
		return "host netns"
	}
	return "netns " + name
}

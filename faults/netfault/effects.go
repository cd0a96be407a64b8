package netfault

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// What the network faults cut, for lock-out protection (faults.Cutter),
// and how recover tells that their namespace went away (faults.GoneFunc).

func (f *linkDown) Cuts() []faults.Cut {
	return []faults.Cut{{Netns: f.netns, Links: append([]string(nil), f.links...)}}
}

func (f *switchDown) Cuts() []faults.Cut {
	return []faults.Cut{{Netns: f.netns, Bridges: []string{f.bridge}}}
}

// Cuts: the ports leave the bridge; the bridge itself stays up.
func (f *switchIsolate) Cuts() []faults.Cut {
	return []faults.Cut{{Netns: f.netns, Links: append([]string(nil), f.ports...)}}
}

// Cuts are the program's rules that drop every packet they match (a loss
// of less than 100% cuts nothing), in every namespace of the fault.
func (f *nftTableFault) Cuts() []faults.Cut {
	drops := f.prog.drops()
	if len(drops) == 0 {
		return nil
	}
	out := make([]faults.Cut, 0, len(f.netns))
	for _, ns := range f.netns {
		out = append(out, faults.Cut{Netns: ns, Drops: drops})
	}
	return out
}

func (p *nftProgram) drops() []faults.Drop {
	sets := map[string][]faults.AddrRange{}
	for _, s := range p.sets {
		for _, r := range s.ranges {
			sets[s.name] = append(sets[s.name], faults.AddrRange{First: r.first, Last: r.last})
		}
	}
	var out []faults.Drop
	for _, r := range p.rules {
		if r.percent > 0 && r.percent < 100 {
			continue
		}
		out = append(out, faults.Drop{From: sets[r.src], To: sets[r.dst]})
	}
	return out
}

// nsRef is a namespace an undo record names, with the inode it had when
// the fault was prepared.
type nsRef struct {
	Name  string `json:"name"`
	Inode uint64 `json:"inode"`
}

// linkGone reads the undo record of the link and switch faults.
func linkGone(raw json.RawMessage) (bool, string) {
	var u struct {
		With struct {
			Netns string `json:"netns"`
		} `json:"with"`
		Inode uint64 `json:"inode"`
	}
	if json.Unmarshal(raw, &u) != nil {
		return false, ""
	}
	return netnsGone([]nsRef{{Name: u.With.Netns, Inode: u.Inode}})
}

func init() {
	for _, k := range []string{KindLinkDown, KindLinkFlap, KindSwitchDown, KindSwitchIsolate} {
		faults.RegisterGone(k, linkGone)
	}
	for _, k := range []string{"net.partition", "net.loss"} {
		faults.RegisterGone(k, nftGone)
	}
	for _, k := range []string{"net.delay", "net.bandwidth"} {
		faults.RegisterGone(k, func(raw json.RawMessage) (bool, string) {
			var u qdiscUndo
			if json.Unmarshal(raw, &u) != nil {
				return false, ""
			}
			return netnsGone([]nsRef{{Name: u.Netns, Inode: u.Inode}})
		})
	}
	faults.RegisterGone("san.fence", func(raw json.RawMessage) (bool, string) {
		var u sanUndo
		if json.Unmarshal(raw, &u) != nil {
			return false, ""
		}
		if len(u.Link) > 0 {
			return linkGone(u.Link)
		}
		return nftGone(u.Nft)
	})
}

func nftGone(raw json.RawMessage) (bool, string) {
	var u struct {
		Netns []nsRef `json:"netns"`
	}
	if json.Unmarshal(raw, &u) != nil {
		return false, ""
	}
	return netnsGone(u.Netns)
}

// netnsGone is true when every namespace was deleted or recreated (another
// inode) since the fault was prepared: nothing of the fault can be left.
// A record without an inode proves nothing and is never gone.
func netnsGone(refs []nsRef) (bool, string) {
	if len(refs) == 0 {
		return false, ""
	}
	var why []string
	for _, r := range refs {
		if r.Inode == 0 {
			return false, ""
		}
		ino, err := nsutil.Inode(r.Name)
		switch {
		case errors.Is(err, os.ErrNotExist):
			why = append(why, fmt.Sprintf("%s was deleted", linkNsLabel(r.Name)))
		case err != nil:
			return false, ""
		case ino != r.Inode:
			why = append(why, fmt.Sprintf("%s was recreated (inode %d, recorded %d)", linkNsLabel(r.Name), ino, r.Inode))
		default:
			return false, ""
		}
	}
	return true, strings.Join(why, "; ") + ": nothing of the fault is left"
}

// validNetns applies the one rule for namespace names to a fault's netns.
func validNetns(names ...string) error {
	for _, n := range names {
		if err := nsutil.ValidateName(n); err != nil {
			return fmt.Errorf("with: netns: %w", err)
		}
	}
	return nil
}

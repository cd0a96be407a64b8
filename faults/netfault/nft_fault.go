package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/google/nftables"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/nsutil"
)

// nftTableFault installs one nftProgram as its own table in each of a list
// of namespaces. Reverting deletes that table and nothing else.
type nftTableFault struct {
	kind   string
	desc   string
	netns  []string
	prog   *nftProgram
	inodes map[string]uint64 // recorded by Prepare
}

// nftUndo is the undo record of every nftables fault: the table name and,
// per namespace, the inode it had when the fault was prepared, so a
// namespace recreated since (which cannot hold our table) is left alone.
type nftUndo struct {
	Table    string         `json:"table"`
	Families []string       `json:"families"`
	Netns    []nftUndoNetns `json:"netns"`
}

type nftUndoNetns struct {
	Name  string `json:"name"`
	Inode uint64 `json:"inode"`
}

func (f *nftTableFault) Describe() string { return f.desc }

func (f *nftTableFault) Targets() []faults.Target {
	out := make([]faults.Target, 0, len(f.netns))
	for _, ns := range f.netns {
		out = append(out, faults.Target{Kind: "nftables", ID: nftNetnsID(ns) + "/table " + f.prog.table})
	}
	return out
}

func nftNetnsID(ns string) string {
	if nsutil.IsHost(ns) {
		return "host"
	}
	return "netns:" + ns
}

// Preflight checks that every namespace exists and answers nftables
// requests, changing nothing.
func (f *nftTableFault) Preflight(ctx context.Context) error {
	for _, ns := range f.netns {
		err := nftWithConn(ctx, ns, func(c *nftables.Conn) error {
			_, err := nftTablesPresent(c, f.prog.table, f.prog.families())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s in %s: %w", f.kind, nftNetnsID(ns), err)
		}
	}
	return nil
}

func (f *nftTableFault) Prepare(ctx context.Context) (faults.Undo, error) {
	u := nftUndo{Table: f.prog.table}
	for _, fam := range f.prog.families() {
		u.Families = append(u.Families, nftFamilyName(fam))
	}
	f.inodes = map[string]uint64{}
	for _, ns := range f.netns {
		ino, err := nsutil.Inode(ns)
		if err != nil {
			return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
		}
		f.inodes[ns] = ino
		u.Netns = append(u.Netns, nftUndoNetns{Name: ns, Inode: ino})
	}
	raw, err := json.Marshal(u)
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: f.kind, Params: raw}, nil
}

// Inject writes the table into every namespace, one transaction each.
func (f *nftTableFault) Inject(ctx context.Context) error {
	for _, ns := range f.netns {
		err := nftWithConn(ctx, ns, func(c *nftables.Conn) error {
			if err := f.prog.queue(c); err != nil {
				return err
			}
			return c.Flush()
		})
		if err != nil {
			return fmt.Errorf("%s: table %s in %s: %w", f.kind, f.prog.table, nftNetnsID(ns), nftWrapErr(err))
		}
	}
	return nil
}

func (f *nftTableFault) Revert(ctx context.Context) error {
	u := nftUndo{Table: f.prog.table}
	for _, fam := range f.prog.families() {
		u.Families = append(u.Families, nftFamilyName(fam))
	}
	for _, ns := range f.netns {
		u.Netns = append(u.Netns, nftUndoNetns{Name: ns, Inode: f.inodes[ns]})
	}
	return nftRevert(ctx, u)
}

// nftRevertParams is the registered Revert of every nftables kind.
func nftRevertParams(ctx context.Context, params json.RawMessage) error {
	var u nftUndo
	if err := json.Unmarshal(params, &u); err != nil {
		return fmt.Errorf("nftables undo record: %w", err)
	}
	return nftRevert(ctx, u)
}

func nftRevert(ctx context.Context, u nftUndo) error {
	if err := nftValidTableName(u.Table); err != nil {
		return fmt.Errorf("nftables undo record: %w", err)
	}
	fams := make([]nftables.TableFamily, 0, len(u.Families))
	for _, name := range u.Families {
		switch name {
		case "inet":
			fams = append(fams, nftables.TableFamilyINet)
		case "bridge":
			fams = append(fams, nftables.TableFamilyBridge)
		default:
			return fmt.Errorf("nftables undo record: unknown family %q", name)
		}
	}
	var errs []error
	for _, ns := range u.Netns {
		if ns.Inode != 0 {
			ino, err := nsutil.Inode(ns.Name)
			if errors.Is(err, os.ErrNotExist) || (err == nil && ino != ns.Inode) {
				continue // the namespace is gone, and our table with it
			}
		}
		if err := nftDeleteTables(ctx, ns.Name, u.Table, fams); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", nftNetnsID(ns.Name), err))
		}
	}
	return errors.Join(errs...)
}

// nftNetnsList accepts a namespace parameter given as one name or a list.
type nftNetnsList []string

func (l *nftNetnsList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = nftNetnsList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("netns: want a name or a list of names")
	}
	*l = many
	return nil
}

// nftTableParam resolves the `table` parameter: the engine's name, or one
// derived from the kind and parameters.
func nftTableParam(kind, table string, params json.RawMessage) (string, error) {
	if table == "" {
		return nftDefaultTableName(kind, params), nil
	}
	if err := nftValidTableName(table); err != nil {
		return "", fmt.Errorf("%s: %w", kind, err)
	}
	return table, nil
}

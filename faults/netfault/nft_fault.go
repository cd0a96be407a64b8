package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// nftTableFault installs one nftProgram as its own table in each of a list
// of namespaces. The table is faultline's: its name starts with
// TablePrefix and it carries a marker comment naming the run and step.
// Inject refuses a table of that name it finds without its marker, and
// Revert deletes only a table carrying the marker.
type nftTableFault struct {
	kind string
	desc string // what it drops and where; Describe adds the table
	// explicit is set when the experiment named the table itself.
	explicit bool
	netns    []string
	prog     *nftProgram
	marker   string
	inodes   map[string]uint64 // recorded by Prepare
}

// nftUndo is the undo record of every nftables fault: the table name, the
// marker it carries and, per namespace, the inode it had when the fault
// was prepared, so a namespace recreated since (which cannot hold our
// table) is left alone.
type nftUndo struct {
	Table    string         `json:"table"`
	Marker   string         `json:"marker"`
	Families []string       `json:"families"`
	Netns    []nftUndoNetns `json:"netns"`
}

type nftUndoNetns struct {
	Name  string `json:"name"`
	Inode uint64 `json:"inode"`
}

func newNftTableFault(kind, desc, table string, explicit bool, netns []string, prog *nftProgram) *nftTableFault {
	prog.table = table
	return &nftTableFault{kind: kind, desc: desc, explicit: explicit, netns: netns, prog: prog,
		marker: nftMarker("", "", table)}
}

// SetScope names the table after the run and step (unless the experiment
// named it) and puts both in the marker. The engine calls it when it plans
// the step.
func (f *nftTableFault) SetScope(run, step string) {
	if !f.explicit {
		f.prog.table = TableName(run, step)
	}
	f.marker = nftMarker(run, step, f.prog.table)
}

func (f *nftTableFault) Describe() string {
	return fmt.Sprintf("%s (table %s)", f.desc, f.prog.table)
}

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
// requests, and that no table of the fault's name exists there yet: such
// a table is someone else's (or a leftover), and is never touched.
func (f *nftTableFault) Preflight(ctx context.Context) error {
	for _, ns := range f.netns {
		tabs, err := nftListTables(ctx, ns, f.prog.table)
		if err != nil {
			return fmt.Errorf("%s in %s: %w", f.kind, nftNetnsID(ns), err)
		}
		if len(tabs) > 0 {
			return fmt.Errorf("%s: table %s %s already exists in %s (comment %q); faultline only uses tables it creates, and leaves this one alone",
				f.kind, nftFamilyName(tabs[0].Family), f.prog.table, nftNetnsID(ns), tabs[0].Comment)
		}
	}
	return nil
}

func nftListTables(ctx context.Context, ns, name string) ([]nftRawTable, error) {
	rc, err := nftRawDial(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return rc.tables(name)
}

func (f *nftTableFault) undo() nftUndo {
	u := nftUndo{Table: f.prog.table, Marker: f.marker}
	for _, fam := range f.prog.families() {
		u.Families = append(u.Families, nftFamilyName(fam))
	}
	for _, ns := range f.netns {
		u.Netns = append(u.Netns, nftUndoNetns{Name: ns, Inode: f.inodes[ns]})
	}
	return u
}

func (f *nftTableFault) Prepare(ctx context.Context) (faults.Undo, error) {
	f.inodes = map[string]uint64{}
	for _, ns := range f.netns {
		ino, err := nsutil.Inode(ns)
		if err != nil {
			return faults.Undo{}, fmt.Errorf("%s: %w", f.kind, nftWrapErr(err))
		}
		f.inodes[ns] = ino
	}
	raw, err := json.Marshal(f.undo())
	if err != nil {
		return faults.Undo{}, err
	}
	return faults.Undo{Kind: f.kind, Params: raw}, ctx.Err()
}

// Inject writes the table into every namespace.
func (f *nftTableFault) Inject(ctx context.Context) error {
	for _, ns := range f.netns {
		if err := f.injectOne(ctx, ns); err != nil {
			return fmt.Errorf("%s: table %s in %s: %w", f.kind, f.prog.table, nftNetnsID(ns), err)
		}
	}
	return nil
}

// injectOne creates the marked, empty tables in one transaction (which
// fails if a table of the name appeared meanwhile; an earlier copy of our
// own, from a retried inject, is replaced in it), then fills them in a
// second. Empty tables drop nothing, and a failed fill leaves only marked
// tables, which Revert deletes.
func (f *nftTableFault) injectOne(ctx context.Context, ns string) error {
	rc, err := nftRawDial(ctx, ns)
	if err != nil {
		return err
	}
	defer rc.Close()
	tabs, err := rc.tables(f.prog.table)
	if err != nil {
		return err
	}
	var msgs []netlink.Message
	for _, t := range tabs {
		if t.Comment != f.marker {
			return fmt.Errorf("table %s exists and is not this step's (comment %q), left alone: %w",
				nftFamilyName(t.Family), t.Comment, faults.ErrUntrusted)
		}
		msgs = append(msgs, nftDeleteMsg(t))
	}
	for _, fam := range f.prog.families() {
		msgs = append(msgs, nftCreateMsg(fam, f.prog.table, f.marker))
	}
	if err := rc.batch(msgs); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nftWithConn(ctx, ns, func(c *nftables.Conn) error {
		if err := f.prog.queue(c); err != nil {
			return err
		}
		return nftWrapErr(c.Flush())
	})
}

func (f *nftTableFault) Revert(ctx context.Context) error {
	return nftRevert(ctx, f.undo())
}

// nftRevertParams is the registered Revert of every nftables kind.
func nftRevertParams(ctx context.Context, params json.RawMessage) error {
	var u nftUndo
	if err := json.Unmarshal(params, &u); err != nil {
		return fmt.Errorf("nftables undo record: %w", err)
	}
	return nftRevert(ctx, u)
}

// nftTrustParams is the registered Trust of every nftables kind: the
// record must name a faultline table, its marker, known families and
// namespaces by name and recorded inode.
func nftTrustParams(params json.RawMessage) error {
	var u nftUndo
	if err := faults.DecodeParams(params, &u); err != nil {
		return fmt.Errorf("nftables undo record: %w", err)
	}
	return u.check(true)
}

// check validates a record; strict also demands recorded inodes, which a
// fault reverted before Prepare (from its own object) does not have.
func (u nftUndo) check(strict bool) error {
	if err := nftValidTableName("table", u.Table); err != nil {
		return err
	}
	if !strings.HasPrefix(u.Marker, "faultline ") {
		return fmt.Errorf("table %s: marker %q is not faultline's", u.Table, u.Marker)
	}
	if len(u.Families) == 0 {
		return fmt.Errorf("table %s: no families", u.Table)
	}
	for _, fam := range u.Families {
		if _, err := nftParseFamily(fam); err != nil {
			return err
		}
	}
	if strict && len(u.Netns) == 0 {
		return fmt.Errorf("table %s: no namespaces", u.Table)
	}
	for _, ns := range u.Netns {
		if err := linkValidateNetns(ns.Name); err != nil {
			return err
		}
		if strict && ns.Inode == 0 {
			return fmt.Errorf("netns %q: inode 0", ns.Name)
		}
	}
	return nil
}

func nftParseFamily(name string) (nftables.TableFamily, error) {
	switch name {
	case "inet":
		return nftables.TableFamilyINet, nil
	case "bridge":
		return nftables.TableFamilyBridge, nil
	}
	return 0, fmt.Errorf("unknown table family %q", name)
}

// nftRevert deletes, in each recorded namespace, the tables of the
// recorded name that carry the recorded marker, and refuses (reporting,
// changing nothing) any table of that name without it. A missing table
// or namespace is success.
func nftRevert(ctx context.Context, u nftUndo) error {
	if err := u.check(false); err != nil {
		return fmt.Errorf("nftables undo record refused: %w", err)
	}
	fams := map[nftables.TableFamily]bool{}
	for _, name := range u.Families {
		fam, _ := nftParseFamily(name)
		fams[fam] = true
	}
	var errs []error
	for _, ns := range u.Netns {
		if ns.Inode != 0 {
			ino, err := nsutil.Inode(ns.Name)
			if errors.Is(err, os.ErrNotExist) || (err == nil && ino != ns.Inode) {
				continue // the namespace is gone, and our table with it
			}
		}
		if err := nftDeleteMarked(ctx, ns.Name, u, fams); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", nftNetnsID(ns.Name), err))
		}
	}
	return errors.Join(errs...)
}

func nftDeleteMarked(ctx context.Context, ns string, u nftUndo, fams map[nftables.TableFamily]bool) error {
	rc, err := nftRawDial(ctx, ns)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	tabs, err := rc.tables(u.Table)
	if err != nil {
		return err
	}
	var msgs []netlink.Message
	var errs []error
	for _, t := range tabs {
		switch {
		case !fams[t.Family]:
			continue // not a family we create
		case t.Comment != u.Marker:
			errs = append(errs, fmt.Errorf("table %s %s does not carry this fault's marker (comment %q, want %q): left alone: %w",
				nftFamilyName(t.Family), t.Name, t.Comment, u.Marker, faults.ErrUntrusted))
		default:
			msgs = append(msgs, nftDeleteMsg(t))
		}
	}
	if len(msgs) > 0 {
		// Deleting by handle: a table replaced since it was listed is
		// another table, and the kernel answers ENOENT for ours.
		if err := rc.batch(msgs); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", u.Table, err))
		}
	}
	return errors.Join(errs...)
}

// nftNetnsList accepts a namespace parameter given as one name or a list.
type nftNetnsList []string

// JSONSchema: one name or a list of names.
func (nftNetnsList) JSONSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "string"},
		map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
	}}
}

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

// nftTableParam resolves the `table` parameter. Without one, the table is
// named from the kind and parameters until the engine scopes it to the run
// and step. A given name must itself be faultline's (TablePrefix): format
// v1 keeps the field, but an existing table such as `filter` is never
// faultline's to create or delete.
func nftTableParam(kind, table string, params json.RawMessage) (name string, explicit bool, err error) {
	if table == "" {
		return nftDefaultTableName(kind, params), false, nil
	}
	if err := nftValidTableName("with.table", table); err != nil {
		return "", false, fmt.Errorf("%s: %w", kind, err)
	}
	return table, true, nil
}

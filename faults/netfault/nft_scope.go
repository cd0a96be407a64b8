package netfault

import "strings"

// Scope names the fault's table after the run and step (the engine calls
// it before Prepare), so that two runs, or two steps of one run, never
// share a table and an operator can tell whose table it is. A table the
// experiment named itself is kept.
func (f *nftTableFault) Scope(experiment, runID, step string) {
	if !strings.HasPrefix(f.prog.table, nftTablePrefix+nftSanitize(f.kind)+"_") {
		return // named explicitly in `with.table`
	}
	old := f.prog.table
	f.prog.table = TableName(runID, step)
	f.desc = strings.ReplaceAll(f.desc, old, f.prog.table)
}

package engine

import "github.com/faultline/faultline/faults"

// undoNamespacesGone is true when everything the undo record's fault
// touched was deleted or recreated since it was prepared; the fault's
// kind says how to tell (faults.RegisterGone). Reverting then could only
// touch something the fault never saw.
func undoNamespacesGone(u faults.Undo) (bool, string) {
	return faults.UndoGone(u)
}

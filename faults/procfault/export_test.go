package procfault

import (
	"encoding/json"

	"github.com/faultline/faultline/faults"
)

// WithRecord builds a fault of kind from params and gives it undo as if
// Prepare had recorded it (specs forge records to prove PID-reuse checks).
func WithRecord(kind string, params, undo json.RawMessage) (faults.Fault, error) {
	k, _ := faults.Lookup(kind)
	f, err := k.NewFault(params)
	if err != nil {
		return nil, err
	}
	u, err := decodeUndo(undo)
	if err != nil {
		return nil, err
	}
	pf := f.(*procFault)
	pf.undo = &u
	return pf, nil
}

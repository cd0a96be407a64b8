package bmcfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/faultline/faultline/faults"
)

const kindName = "bmc.power"

func init() {
	faults.Register(faults.Kind{
		Name:     kindName,
		Doc:      "chassis power off|cycle|reset|soft|on through a host's BMC (IPMI v2.0 lanplus); revert: power on",
		Params:   params{},
		NewFault: newPower,
		Revert: func(ctx context.Context, raw json.RawMessage) error {
			u, err := decodeUndo(raw)
			if err != nil {
				return err
			}
			return revert(ctx, u)
		},
		Trust: func(raw json.RawMessage) error {
			_, err := decodeUndo(raw)
			return err
		},
	})
}

// decodeUndo reads and checks an undo record: it must name a BMC and
// where its password comes from.
func decodeUndo(raw json.RawMessage) (undo, error) {
	var u undo
	if err := faults.DecodeParams(raw, &u); err != nil {
		return u, fmt.Errorf("%s undo record: %w", kindName, err)
	}
	if err := u.validate(); err != nil {
		return u, fmt.Errorf("%s undo record: %w", kindName, err)
	}
	if u.PowerBefore != "on" && u.PowerBefore != "off" {
		return u, fmt.Errorf("%s undo record: %w", kindName, errors.New(`powerBefore must be "on" or "off"`))
	}
	return u, nil
}

package virtfault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/faultline/faultline/faults"
)

// networkParams: network.destroy's `with`.
type networkParams struct {
	URI     string `json:"uri" required:"true"`
	Network string `json:"network" required:"true"`
}

// networkUndo: the network by UUID; XML recreates a transient one.
type networkUndo struct {
	URI          string `json:"uri"`
	UUID         string `json:"uuid"`
	Name         string `json:"name"`
	WasActive    bool   `json:"wasActive"`
	TransientXML string `json:"transientXML,omitempty"`
}

// networkFault destroys (stops) a libvirt network: the virtual switch
// goes away with its bridge. Revert starts it again.
type networkFault struct {
	p networkParams
	preparedUndo[networkUndo]
}

func newNetworkDestroy(raw json.RawMessage) (*networkFault, error) {
	var p networkParams
	if err := faults.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := errors.Join(missingFields(required{"uri", p.URI}, required{"network", p.Network})...); err != nil {
		return nil, err
	}
	return &networkFault{p: p}, nil
}

func (f *networkFault) Describe() string {
	return fmt.Sprintf("network.destroy network %s on %s", f.p.Network, f.p.URI)
}

func (f *networkFault) Targets() []faults.Target {
	return []faults.Target{{Kind: "network", ID: f.p.URI + "/" + f.p.Network}}
}

func (f *networkFault) Preflight(ctx context.Context) error {
	c, err := connect(ctx, f.p.URI)
	if err != nil {
		return fmt.Errorf("network.destroy: %w", err)
	}
	n, err := c.NetworkByName(f.p.Network)
	if err != nil {
		return fmt.Errorf("network.destroy: %w", err)
	}
	n.Free()
	return nil
}

func (f *networkFault) Prepare(ctx context.Context) (faults.Undo, error) {
	c, err := connect(ctx, f.p.URI)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("network.destroy: %w", err)
	}
	n, err := c.NetworkByName(f.p.Network)
	if err != nil {
		return faults.Undo{}, fmt.Errorf("network.destroy: %w", err)
	}
	defer n.Free()
	u := networkUndo{URI: f.p.URI, UUID: n.UUID(), Name: n.Name()}
	if u.WasActive, err = n.Active(); err != nil {
		return faults.Undo{}, err
	}
	persistent, err := n.Persistent()
	if err != nil {
		return faults.Undo{}, err
	}
	if !persistent {
		if u.TransientXML, err = n.XML(); err != nil {
			return faults.Undo{}, err
		}
	}
	return f.record("network.destroy", u)
}

func (f *networkFault) Inject(ctx context.Context) error {
	u, err := f.ensure(ctx, f.Prepare)
	if err != nil {
		return err
	}
	c, err := connect(ctx, u.URI)
	if err != nil {
		return fmt.Errorf("network.destroy: %w", err)
	}
	n, err := c.NetworkByUUID(u.UUID)
	if err != nil {
		return fmt.Errorf("network.destroy: %w", err)
	}
	defer n.Free()
	if active, err := n.Active(); err != nil || !active {
		return err
	}
	if err := n.Destroy(); err != nil {
		return fmt.Errorf("network.destroy: %w", err)
	}
	return nil
}

func (f *networkFault) Revert(ctx context.Context) error {
	u, ok := f.recorded()
	if !ok {
		return nil
	}
	return u.revert(ctx)
}

// revert starts the network if it was active and is not; a transient one
// that destroying removed is created again from its XML.
func (u networkUndo) revert(ctx context.Context) error {
	if !u.WasActive {
		return nil
	}
	c, err := connect(ctx, u.URI)
	if err != nil {
		return fmt.Errorf("revert network.destroy: %w", err)
	}
	n, err := c.NetworkByUUID(u.UUID)
	if errors.Is(err, faults.ErrNotFound) && u.TransientXML != "" {
		n, err = c.CreateNetwork(u.TransientXML)
		if err == nil {
			n.Free()
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("revert network.destroy: %w", err)
	}
	defer n.Free()
	active, err := n.Active()
	if err != nil || active {
		return err
	}
	if err := n.Start(); err != nil {
		return fmt.Errorf("revert network.destroy: %w", err)
	}
	return nil
}

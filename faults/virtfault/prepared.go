package virtfault

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/faultline/faultline/faults"
)

// preparedUndo keeps a fault's undo record from Prepare to Revert. Inject
// prepares first when the engine skipped Prepare; a Revert with no Prepare
// before it has nothing to undo.
type preparedUndo[U any] struct {
	mu       sync.Mutex
	prepared bool
	undo     U
}

// record keeps u and returns it as the undo record of kind.
func (p *preparedUndo[U]) record(kind string, u U) (faults.Undo, error) {
	raw, err := json.Marshal(u)
	if err != nil {
		return faults.Undo{}, err
	}
	p.mu.Lock()
	p.undo, p.prepared = u, true
	p.mu.Unlock()
	return faults.Undo{Kind: kind, Params: raw}, nil
}

// recorded returns the undo record and whether Prepare has made one.
func (p *preparedUndo[U]) recorded() (U, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.undo, p.prepared
}

// ensure returns the undo record, running prepare first when there is none.
func (p *preparedUndo[U]) ensure(ctx context.Context, prepare func(context.Context) (faults.Undo, error)) (U, error) {
	if u, ok := p.recorded(); ok {
		return u, nil
	}
	if _, err := prepare(ctx); err != nil {
		var none U
		return none, err
	}
	u, _ := p.recorded()
	return u, nil
}

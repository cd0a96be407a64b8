package remote

import (
	"context"
	"time"

	"github.com/faultline/faultline/internal/wire"
)

// InjectAt sends the inject ahead of its moment: the host injects at
// `at` on its own clock (mapped through the heartbeat estimate), so hosts
// reached through a loaded controller or network still inject together.
// It returns once the host has injected. Without a clock estimate yet it
// injects at once, as Inject does.
func (f *Fault) InjectAt(ctx context.Context, at time.Time) error {
	st := f.step
	if e := f.c.clock.estimate(); e.OK {
		// agent = controller + Offset, both as offsets from their epochs
		st.At = int64(at.Sub(f.c.epoch) + e.Offset)
	}
	r, err := f.c.call(ctx, &wire.Message{Type: wire.TInject, Step: &st})
	if err != nil {
		return err
	}
	f.injStart, f.injDone = time.Duration(r.Start), time.Duration(r.Done)
	return nil
}

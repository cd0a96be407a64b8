package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// RevertOnHost reverts an UndoKind record from the controller's journal
// (`faultline recover` on the controller): it opens a short session on
// rwc (a fresh `faultline agent --stdio` on the record's host), sends the
// host's own record back to be reverted there, and closes the session.
// The host refuses a record that does not name what faultline created.
func RevertOnHost(ctx context.Context, rwc io.ReadWriteCloser, version string, params json.RawMessage) error {
	var ru RemoteUndo
	if err := json.Unmarshal(params, &ru); err != nil {
		return fmt.Errorf("remote undo: %w", err)
	}
	c, err := Dial(ctx, rwc, Config{Host: ru.Host, Run: "recover-" + ru.Run, Experiment: "recover",
		GuardTTL: 10 * time.Second, Version: version})
	if err != nil {
		return err
	}
	rerr := c.RevertRemote(ctx, params)
	cerr := c.Close(ctx)
	if rerr != nil {
		return fmt.Errorf("revert step %s of run %s: %w", ru.Step, ru.Run, rerr)
	}
	return cerr
}

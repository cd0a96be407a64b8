package virtfault

import (
	"context"
	"fmt"

	"libvirt.org/go/libvirt"
)

// PooledConnect exposes the pooled libvirt connection to specs: the
// test:/// driver keeps its state per connection, so checks must share it.
func PooledConnect(ctx context.Context, uri string) (*libvirt.Connect, error) {
	c, err := connect(ctx, uri)
	if err != nil {
		return nil, err
	}
	lc, ok := c.(*lvConn)
	if !ok {
		return nil, fmt.Errorf("pooled connection is a %T", c)
	}
	return lc.c, nil
}

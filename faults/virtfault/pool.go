package virtfault

import (
	"context"
	"sync"
)

// pool keeps one open connection per URI for faults, actions and probes:
// a fault's inject then costs no connect, and test:/// URIs (whose state
// lives in the connection) stay consistent between inject and revert.
var pool = struct {
	sync.Mutex
	conns map[string]Conn
}{conns: map[string]Conn{}}

// connect returns the pooled connection to uri, reconnecting when the
// pooled one is dead.
func connect(ctx context.Context, uri string) (Conn, error) {
	pool.Lock()
	c, ok := pool.conns[uri]
	pool.Unlock()
	if ok && c.Alive() {
		return c, nil
	}
	nc, err := Dial(ctx, uri)
	if err != nil {
		return nil, err
	}
	pool.Lock()
	defer pool.Unlock()
	if cur, ok := pool.conns[uri]; ok && cur != c && cur.Alive() {
		// Someone reconnected meanwhile: keep theirs.
		_ = nc.Close()
		return cur, nil
	}
	if ok {
		_ = c.Close()
	}
	pool.conns[uri] = nc
	return nc, nil
}

// forget drops a pooled connection after an error that suggests it broke.
func forget(uri string) {
	pool.Lock()
	defer pool.Unlock()
	if c, ok := pool.conns[uri]; ok {
		_ = c.Close()
		delete(pool.conns, uri)
	}
}

// CloseConnections closes every pooled connection (tests use it to act as
// a fresh process; a long-running program may call it at exit).
func CloseConnections() {
	pool.Lock()
	defer pool.Unlock()
	for uri, c := range pool.conns {
		_ = c.Close()
		delete(pool.conns, uri)
	}
}

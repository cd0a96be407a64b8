package engine_test

import (
	"github.com/faultline/faultline/internal/nettest"
)

// miniTopo is client ── switch (bridge br0) ── server, each a throwaway
// namespace, with a real HTTP server on the server at 198.18.100.2:80.
type miniTopo struct{ *nettest.Topo }

func newMiniTopo() *miniTopo { return &miniTopo{nettest.New("fl-e", "198.18.100", true)} }

var expectSameSnapshots = nettest.ExpectSameSnapshots
var randSuffix = nettest.RandSuffix

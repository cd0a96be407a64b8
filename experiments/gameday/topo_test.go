package gameday_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/nsutil"
)

// pair is two throwaway namespaces joined by a veth pair, with a real
// HTTP server on the server end at 198.18.200.2:80.
type pair struct{ *nettest.Topo }

func newPair() *pair { return &pair{nettest.New("fl-g", "198.18.200", false)} }

var expectSameSnapshots = nettest.ExpectSameSnapshots

// serverLinkDown reports whether the server's eth0 is administratively down (a fault is in).
func (p *pair) serverLinkDown() bool {
	h, err := nsutil.Handle(p.Server)
	if err != nil {
		return false
	}
	defer h.Close()
	l, err := h.LinkByName("eth0")
	return err == nil && l.Attrs().Flags&net.FlagUp == 0
}

// expYAML is a short experiment: the server's NIC cut for cut, the client
// probing every 10 ms. maxOutage is the bound; extra is appended verbatim.
func (p *pair) expYAML(name, cut, maxOutage, extra string) string {
	return fmt.Sprintf(`version: 1
name: %s
probes:
  web:
    http: {url: "http://198.18.200.2/", status: 200, timeout: 20ms}
    every: 10ms
    netns: %s
steadyState:
  - {probe: web, for: 200ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %s, link: eth0}
    at: 100ms
    duration: %s
observe: 200ms
verify:
  - {probe: web, maxOutage: %s}
  - {probe: web, reaches: ok, within: 500ms, after: cut.end}
%s`, name, p.Client, p.Server, cut, maxOutage, extra)
}

// writeFiles writes name → content into dir and returns dir.
func writeFiles(dir string, files map[string]string) string {
	for name, content := range files {
		Expect(os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)).To(Succeed())
	}
	return dir
}

func replaceOnce(s, old, new string) string {
	i := strings.Index(s, old)
	Expect(i).To(BeNumerically(">=", 0), "%q not in the text", old)
	return s[:i] + new + s[i+len(old):]
}

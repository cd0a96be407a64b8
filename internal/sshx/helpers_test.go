package sshx_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
	"github.com/faultline/faultline/internal/sshx"
)

// specSite builds a site for a spec container and deletes it after.
func specSite() *site {
	GinkgoHelper()
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces and sshd")
	}
	s, err := newSite(GinkgoT().TempDir())
	DeferCleanup(func() {
		if s != nil {
			s.destroy()
		}
	})
	Expect(err).NotTo(HaveOccurred())
	return s
}

func specHost(s *site, name string, n int) *sshd {
	GinkgoHelper()
	h, err := s.addHost(name, n)
	Expect(err).NotTo(HaveOccurred())
	return h
}

// target is how the controller reaches h: from the management namespace,
// with the site's client key and known_hosts, no agent.
func (s *site) target(h *sshd) *sshx.Target {
	return &sshx.Target{
		Name: h.name, Address: h.addr, Port: 22, User: "root",
		Identities: []string{s.clientKey}, KnownHosts: []string{s.knownHosts},
		DialNetns: s.mgmt, NoAgent: true,
	}
}

// set is a host set naming every site host, reached as s.target does.
func (s *site) set() *hosts.Set {
	inline := map[string]hosts.Spec{}
	for _, h := range s.hosts {
		inline[h.name] = hosts.Spec{Address: h.addr}
	}
	set, err := hosts.NewSet(nil, hosts.Spec{User: "root", Identity: s.clientKey, KnownHosts: s.knownHosts, DialNetns: s.mgmt}, inline)
	Expect(err).NotTo(HaveOccurred())
	return set
}

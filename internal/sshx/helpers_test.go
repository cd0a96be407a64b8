package sshx_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

// specSite builds a site for a spec container and deletes it after.
func specSite() *sshtest.Site {
	GinkgoHelper()
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces and sshd")
	}
	s, err := sshtest.NewSite(GinkgoT().TempDir())
	DeferCleanup(func() {
		if s != nil {
			s.Destroy()
		}
	})
	Expect(err).NotTo(HaveOccurred())
	return s
}

func specHost(s *sshtest.Site, name string, n int) *sshtest.SSHD {
	GinkgoHelper()
	h, err := s.AddHost(name, n)
	Expect(err).NotTo(HaveOccurred())
	return h
}

// target is how the controller reaches h: from the management namespace,
// with the site's client key and known_hosts, no agent.
func target(s *sshtest.Site, h *sshtest.SSHD) *sshx.Target {
	return &sshx.Target{
		Name: h.Name, Address: h.Addr, Port: 22, User: "root",
		Identities: []string{s.ClientKey}, KnownHosts: []string{s.KnownHosts},
		DialNetns: s.Mgmt, NoAgent: true,
	}
}

// hostSet is a host set naming every site host, reached as target does.
func hostSet(s *sshtest.Site) *hosts.Set {
	inline := map[string]hosts.Spec{}
	for _, h := range s.Hosts() {
		inline[h.Name] = hosts.Spec{Address: h.Addr}
	}
	set, err := hosts.NewSet(nil, hosts.Spec{User: "root", Identity: s.ClientKey, KnownHosts: s.KnownHosts, DialNetns: s.Mgmt}, inline)
	Expect(err).NotTo(HaveOccurred())
	return set
}

package sshx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

func writeConfig(lines ...string) *sshx.SSHConfig {
	GinkgoHelper()
	p := filepath.Join(GinkgoT().TempDir(), "config")
	Expect(os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600)).To(Succeed())
	cfg, err := sshx.LoadSSHConfig(p)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

var _ = Describe("resolving a host", func() {
	It("layers inline over inventory over ~/.ssh/config over hostDefaults", func() {
		inv, err := hosts.ParseInventory("inv.ini", []byte("[hv]\nhv-a ansible_user=invuser\nhv-b\nhv-c ansible_host=10.0.0.3\n"))
		Expect(err).NotTo(HaveOccurred())
		set, err := hosts.NewSet(inv, hosts.Spec{User: "defuser", Port: 2022, Identity: "/keys/default", KnownHosts: "/kh/default"},
			map[string]hosts.Spec{"hv-a": {Port: 2200}})
		Expect(err).NotTo(HaveOccurred())
		cfg := writeConfig(
			"Host hv-*",
			"  User cfguser",
			"  Port 2300",
			"  IdentityFile /keys/cfg",
			"  UserKnownHostsFile /kh/one /kh/two",
			"Host hv-b",
			"  HostName 10.0.0.2",
			"Host 10.0.0.3",
			"  User byaddress",
		)
		a, err := sshx.Resolve(set, cfg, "hv-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.User).To(Equal("invuser"), "the inventory beats ssh config")
		Expect(a.Port).To(Equal(2200), "inline beats everything")
		Expect(a.Address).To(Equal("hv-a"), "no HostName: the name itself")
		Expect(a.Identities).To(Equal([]string{"/keys/cfg"}), "ssh config beats hostDefaults")
		Expect(a.KnownHosts).To(Equal([]string{"/kh/one", "/kh/two"}))

		b, err := sshx.Resolve(set, cfg, "hv-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Address).To(Equal("10.0.0.2"))
		Expect(b.User).To(Equal("cfguser"))
		Expect(b.Port).To(Equal(2300))

		c, err := sshx.Resolve(set, writeConfig("Host 10.0.0.3", "  User byaddress"), "hv-c")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.User).To(Equal("byaddress"), "looked up by address when the name has nothing")
		Expect(c.Port).To(Equal(2022), "hostDefaults when nothing else says")
		Expect(c.Identities).To(Equal([]string{"/keys/default"}))

		none, err := sshx.Resolve(set, writeConfig("Host other", "  User x"), "hv-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(none.User).To(Equal("defuser"))
	})

	It("defaults to root, port 22 and OpenSSH's key and known_hosts files", func() {
		set, err := hosts.NewSet(nil, hosts.Spec{}, map[string]hosts.Spec{"x": {}})
		Expect(err).NotTo(HaveOccurred())
		t, err := sshx.Resolve(set, nil, "x")
		Expect(err).NotTo(HaveOccurred())
		home, _ := os.UserHomeDir()
		Expect(t.User).To(Equal("root"))
		Expect(t.Port).To(Equal(22))
		Expect(t.Identities).To(ContainElement(filepath.Join(home, ".ssh/id_ed25519")))
		Expect(t.KnownHosts).To(ContainElement(filepath.Join(home, ".ssh/known_hosts")))
	})

	It("resolves jump chains and sends the first hop from the target's namespace", func() {
		set, err := hosts.NewSet(nil, hosts.Spec{}, map[string]hosts.Spec{
			"bastion": {Address: "198.19.0.2"},
			"target":  {Address: "10.1.0.5", Jump: "ops@gw:2222,bastion", DialNetns: "mgmt"},
		})
		Expect(err).NotTo(HaveOccurred())
		t, err := sshx.Resolve(set, nil, "target")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Jump.Name).To(Equal("bastion"))
		Expect(t.Jump.Jump.Name).To(Equal("gw"))
		Expect(t.Jump.Jump.User).To(Equal("ops"))
		Expect(t.Jump.Jump.Port).To(Equal(2222))
		Expect(t.Jump.Jump.DialNetns).To(Equal("mgmt"))
		Expect(t.DialNetns).To(BeEmpty())
		Expect(t.String()).To(Equal("target (root@10.1.0.5:22) via bastion"))
	})

	It("takes ProxyJump from ssh config and refuses loops", func() {
		set, err := hosts.NewSet(nil, hosts.Spec{}, map[string]hosts.Spec{"a": {}, "b": {}})
		Expect(err).NotTo(HaveOccurred())
		t, err := sshx.Resolve(set, writeConfig("Host a", "  ProxyJump b"), "a")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Jump.Name).To(Equal("b"))
		_, err = sshx.Resolve(set, writeConfig("Host a", "  ProxyJump b", "Host b", "  ProxyJump a"), "a")
		Expect(err).To(MatchError(ContainSubstring("loop")))
		_, err = sshx.Resolve(set, nil, "zz")
		Expect(err).To(MatchError(ContainSubstring(`no host "zz"`)))
	})
})

var _ = Describe("~/.ssh/config and jump hosts against real servers", Ordered, func() {
	var s *sshtest.Site
	var hvA, hvB, inner *sshtest.SSHD
	ctx := context.Background()

	BeforeAll(func() {
		s = specSite()
		hvA = specHost(s, "hv-a", 21)
		hvB = specHost(s, "hv-b", 22)
		var err error
		inner, err = s.AddBehind(hvB, "inner", 30)
		Expect(err).NotTo(HaveOccurred())
	})

	It("dials with HostName, User, Port, IdentityFile and UserKnownHostsFile from the config", func() {
		set, err := hosts.NewSet(nil, hosts.Spec{DialNetns: s.Mgmt}, map[string]hosts.Spec{"alias-a": {}})
		Expect(err).NotTo(HaveOccurred())
		cfg := writeConfig(
			"Host alias-a",
			"  HostName "+hvA.Addr,
			"  User root",
			"  Port 22",
			"  IdentityFile "+s.ClientKey,
			"  UserKnownHostsFile "+s.KnownHosts,
		)
		t, err := sshx.Resolve(set, cfg, "alias-a")
		Expect(err).NotTo(HaveOccurred())
		t.NoAgent = true
		c, err := sshx.Dial(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(run(c, "ip -br addr show eth0 2>/dev/null || cat /proc/net/fib_trie")).To(ContainSubstring(hvA.Addr))
	})

	It("reaches a host only the jump host can reach", func() {
		direct := target(s, inner)
		direct.Timeout = 500 * time.Millisecond
		_, err := sshx.Dial(ctx, direct)
		Expect(err).To(MatchError(sshx.ErrUnreachable), "the back network is not routed from the management namespace")

		set, err := hosts.NewSet(nil, hosts.Spec{Identity: s.ClientKey, KnownHosts: s.KnownHosts},
			map[string]hosts.Spec{
				"hv-b":  {Address: hvB.Addr, DialNetns: s.Mgmt},
				"inner": {Address: inner.Addr, Jump: "hv-b"},
			})
		Expect(err).NotTo(HaveOccurred())
		t, err := sshx.Resolve(set, nil, "inner")
		Expect(err).NotTo(HaveOccurred())
		t.NoAgent, t.Jump.NoAgent = true, true
		c, err := sshx.Dial(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		Expect(run(c, "cat /proc/net/fib_trie")).To(ContainSubstring(inner.Addr))
		Expect(c.Close()).To(Succeed())
	})

	It("names the jump host when the jump fails", func() {
		set, err := hosts.NewSet(nil, hosts.Spec{Identity: s.ClientKey, KnownHosts: s.KnownHosts},
			map[string]hosts.Spec{
				"gone":  {Address: "198.19.0.251", DialNetns: s.Mgmt},
				"inner": {Address: inner.Addr, Jump: "gone"},
			})
		Expect(err).NotTo(HaveOccurred())
		t, err := sshx.Resolve(set, nil, "inner")
		Expect(err).NotTo(HaveOccurred())
		t.Timeout, t.Jump.Timeout = 500*time.Millisecond, 500*time.Millisecond
		_, err = sshx.Dial(ctx, t)
		Expect(err).To(MatchError(sshx.ErrUnreachable))
		Expect(err).To(MatchError(ContainSubstring("host inner: jump: host gone: connect 198.19.0.251:22")))
	})
})

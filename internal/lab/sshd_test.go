package lab_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/lab"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/goccy/go-yaml"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the lab's management network", Ordered, func() {
	var (
		topo *lab.Topology
		mgmt string
	)

	BeforeAll(func(ctx SpecContext) {
		if os.Geteuid() != 0 {
			Skip("needs root")
		}
		for _, bin := range []string{lab.SSHDPath, "ssh", "ip"} {
			if _, err := exec.LookPath(bin); err != nil {
				Skip(bin + " not installed")
			}
		}
		// Not under /tmp: sshd refuses keys below a world-writable directory.
		dir, err := os.MkdirTemp("/run", "fl-labspec-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, dir)
		DeferCleanup(lab.SetStateDir(filepath.Join(dir, "lab")))
		id := fmt.Sprintf("%05x", rand.IntN(1<<20))
		src := strings.NewReplacer("ID", id).Replace(`version: 1
name: fl-ID
subnet: 198.18.40.0/24
switches:
  - {name: fl-s-ID, priority: 4096}
nodes:
  - {name: fl-c-ID, address: 198.18.40.1/24, uplinks: [fl-s-ID]}
  - {name: fl-d-ID, address: 198.18.40.5/24, uplinks: [fl-s-ID], san: {size: 8MiB}}
hypervisors:
  - {name: fl-h-ID, address: 198.18.40.2/24, uplinks: [fl-s-ID]}
`)
		topo, err = lab.ParseTopology("mgmt.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		mgmt = "fl-m-" + id
		DeferCleanup(func(ctx SpecContext) {
			_, _ = lab.Down(ctx)
			for _, ns := range append(topo.Namespaces(), mgmt) {
				_ = nsutil.Delete(ns)
			}
		})
		Expect(lab.UpNetwork(ctx, topo, mgmt)).To(Succeed())
	}, NodeTimeout(60e9))

	It("lets the client key log in as root on every node, host keys checked, from the management namespace", func(ctx SpecContext) {
		for _, ns := range topo.Namespaces() {
			a, ok := topo.MgmtAddress(ns)
			Expect(ok).To(BeTrue())
			out, err := exec.CommandContext(ctx, "ip", "netns", "exec", mgmt, "ssh", "-F", "/dev/null",
				"-i", lab.ClientKey(), "-o", "UserKnownHostsFile="+lab.KnownHosts(), "-o", "StrictHostKeyChecking=yes",
				"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
				"root@"+a.String(), "stat -L -c %i /proc/self/ns/net").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s: %s", ns, out)
			// sshd runs in the node's own namespace.
			want, err := nsutil.Inode(ns)
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.TrimSpace(string(out))).To(Equal(strconv.FormatUint(want, 10)), ns)
		}
	}, SpecTimeout(60e9))

	It("refuses a host key that is not in known_hosts", func(ctx SpecContext) {
		a, _ := topo.MgmtAddress(topo.Namespaces()[0])
		empty := filepath.Join(GinkgoT().TempDir(), "kh")
		Expect(os.WriteFile(empty, nil, 0o600)).To(Succeed())
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", mgmt, "ssh", "-F", "/dev/null",
			"-i", lab.ClientKey(), "-o", "UserKnownHostsFile="+empty, "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "root@"+a.String(), "true").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("Host key verification failed"))
	})

	It("keeps the keys private", func() {
		for _, p := range []string{lab.ClientKey(), lab.KnownHosts()} {
			st, err := os.Stat(p)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)), p)
		}
		st, err := os.Stat(lab.SSHDir())
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)))
	})

	It("prints an Ansible inventory with groups and management addresses", func() {
		b, err := lab.Inventory()
		Expect(err).NotTo(HaveOccurred())
		var inv struct {
			All struct {
				Children map[string]struct {
					Hosts map[string]map[string]any `yaml:"hosts"`
				} `yaml:"children"`
			} `yaml:"all"`
		}
		Expect(yaml.Unmarshal(b, &inv)).To(Succeed(), "%s", b)
		g := inv.All.Children
		Expect(g).To(HaveKey("hypervisors"))
		Expect(g["hypervisors"].Hosts).To(HaveKey(topo.Hypervisors[0].Name))
		Expect(g["sans"].Hosts).To(HaveKey(topo.Nodes[1].Name))
		Expect(g["switches"].Hosts).To(HaveKey(topo.Switches[0].Name))
		Expect(g["clients"].Hosts).To(HaveKey(topo.Nodes[0].Name))
		h := g["hypervisors"].Hosts[topo.Hypervisors[0].Name]
		a, _ := topo.MgmtAddress(topo.Hypervisors[0].Name)
		Expect(h).To(HaveKeyWithValue("ansible_host", a.String()))
		Expect(h).To(HaveKeyWithValue("ansible_user", "root"))
		Expect(h).To(HaveKeyWithValue("ansible_ssh_private_key_file", lab.ClientKey()))
		Expect(h).To(HaveKeyWithValue("faultline_known_hosts", lab.KnownHosts()))
		Expect(h).To(HaveKeyWithValue("faultline_dial_netns", mgmt))
	})

	It("shows a hypervisor's sessions its libvirtd's /run/libvirt, and each node the others by name", func(ctx SpecContext) {
		hv, client := topo.Hypervisors[0].Name, topo.Nodes[0].Name
		a, _ := topo.MgmtAddress(hv)
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", mgmt, "ssh", "-F", "/dev/null",
			"-i", lab.ClientKey(), "-o", "UserKnownHostsFile="+lab.KnownHosts(), "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
			"root@"+a.String(), "readlink /run/libvirt/libvirt-sock && ssh "+client+" stat -L -c %i /proc/self/ns/net").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		want, err := nsutil.Inode(client)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Fields(string(out))).To(Equal([]string{lab.SocketPath(hv), strconv.FormatUint(want, 10)}))
	}, SpecTimeout(60e9))

	It("is removed by Down: namespaces, sshd, keys", func(ctx SpecContext) {
		res, err := lab.Down(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Removed).To(ConsistOf(append(topo.Namespaces(), mgmt)))
		Expect(res.Killed).To(BeNumerically(">=", len(topo.Namespaces()))) // sshd, and any session left
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, _ := os.ReadFile(p)
			Expect(string(b)).NotTo(ContainSubstring(lab.SSHDir()), p)
		}
		for _, ns := range res.Removed {
			Expect(nsutil.Path(ns)).NotTo(BeAnExistingFile())
		}
		Expect(lab.SSHDir()).NotTo(BeADirectory())
	})
})

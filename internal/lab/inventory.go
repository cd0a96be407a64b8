package lab

import (
	"bytes"
	"fmt"
	"strconv"
)

// Inventory prints the lab that is up as an Ansible inventory (YAML):
// groups hypervisors, sans, switches and clients, each host with its
// management address, root, the lab's client key and known_hosts, and the
// namespace to dial from (faultline_dial_netns; Ansible itself needs to run
// inside it: `ip netns exec mgmt ansible ...`). Each hypervisor also has
// its BMC: faultline_bmc_address, _port, _user, _password_file, _netns.
func Inventory() ([]byte, error) {
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	r := st.get()
	t, mgmt := r.Spec, r.Mgmt
	if mgmt == "" {
		mgmt = MgmtNetns
	}
	if !st.exists || t == nil {
		return nil, fmt.Errorf("%w (%s): run lab up", ErrNoLab, stateFile())
	}
	var hv, sans, sw, clients []string
	for _, h := range t.Hypervisors {
		hv = append(hv, h.Name)
	}
	for _, n := range t.Nodes {
		if n.SAN != nil {
			sans = append(sans, n.Name)
		} else {
			clients = append(clients, n.Name)
		}
	}
	for _, s := range t.Switches {
		sw = append(sw, s.Name)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# faultline lab %q: SSH over the management network %s (netns %s).\n", t.Name, MgmtSubnet, mgmt)
	b.WriteString("all:\n  children:\n")
	for _, g := range []struct {
		name  string
		hosts []string
	}{{"hypervisors", hv}, {"sans", sans}, {"switches", sw}, {"clients", clients}} {
		fmt.Fprintf(&b, "    %s:\n", g.name)
		if len(g.hosts) == 0 {
			b.WriteString("      hosts: {}\n")
			continue
		}
		b.WriteString("      hosts:\n")
		for _, h := range g.hosts {
			a, _ := t.MgmtAddress(h)
			fmt.Fprintf(&b, "        %s:\n", h)
			for _, kv := range [][2]string{
				{"ansible_host", a.String()},
				{"ansible_user", "root"},
				{"ansible_port", "22"},
				{"ansible_ssh_private_key_file", ClientKey()},
				{"ansible_ssh_common_args", "-o UserKnownHostsFile=" + KnownHosts() + " -o StrictHostKeyChecking=yes"},
				{"faultline_known_hosts", KnownHosts()},
				{"faultline_dial_netns", mgmt},
			} {
				printVar(&b, kv)
			}
			if bmc, ok := t.BMCConfig(h); ok && g.name == "hypervisors" {
				bmc.Netns = mgmt
				for _, kv := range [][2]string{
					{"faultline_bmc_address", bmc.Address},
					{"faultline_bmc_port", strconv.Itoa(bmc.Port)},
					{"faultline_bmc_user", bmc.User},
					{"faultline_bmc_password_file", bmc.PasswordFile},
					{"faultline_bmc_netns", bmc.Netns},
				} {
					printVar(&b, kv)
				}
			}
		}
	}
	return b.Bytes(), nil
}

// printVar prints one host variable: ports bare, everything else quoted.
func printVar(b *bytes.Buffer, kv [2]string) {
	v := kv[1]
	if kv[0] != "ansible_port" && kv[0] != "faultline_bmc_port" {
		v = strconv.Quote(v)
	}
	fmt.Fprintf(b, "          %s: %s\n", kv[0], v)
}

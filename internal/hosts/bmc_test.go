package hosts_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
)

var _ = Describe("a host's BMC settings", func() {
	It("reads faultline_bmc_*, bmc_* and ipmi_* variables, faultline's first, group vars under host vars", func() {
		inv, err := hosts.ParseInventory("site/inv.ini", []byte(`[hypervisors]
hv-a ansible_host=10.0.0.2 ipmi_address=10.1.0.2 ipmi_user=fence ipmi_password_file=secrets/hv-a
hv-b ansible_host=10.0.0.3 bmc_address=10.1.0.3 faultline_bmc_address=10.9.0.3 faultline_bmc_port=6230 faultline_bmc_netns=mgmt ipmi_password_env=BMC_PW
hv-c ansible_host=10.0.0.4

[hypervisors:vars]
ipmi_user=admin
`))
		Expect(err).NotTo(HaveOccurred())
		a := inv.Hosts["hv-a"].BMC
		Expect(a).NotTo(BeNil())
		Expect(*a).To(Equal(hosts.BMC{Address: "10.1.0.2", User: "fence", PasswordFile: "site/secrets/hv-a"}), "relative to the inventory")
		b := inv.Hosts["hv-b"].BMC
		Expect(*b).To(Equal(hosts.BMC{Address: "10.9.0.3", Port: 6230, User: "admin", PasswordEnv: "BMC_PW", Netns: "mgmt"}))
		Expect(b.With()).To(Equal(map[string]any{"address": "10.9.0.3", "port": 6230, "user": "admin", "passwordEnv": "BMC_PW", "netns": "mgmt"}))
		Expect(inv.Hosts["hv-c"].BMC).To(Equal(&hosts.BMC{User: "admin"}), "a group's user alone is no address")
	})

	It("refuses a BMC password written in the inventory, naming file, line and host", func() {
		_, err := hosts.ParseInventory("inv.yaml", []byte(`all:
  hosts:
    hv-a:
      ipmi_address: 10.1.0.2
      ipmi_password: hunter2
`))
		Expect(err).To(MatchError(ContainSubstring("inv.yaml:5: host hv-a: ipmi_password: faultline reads a BMC password only from a file or an environment variable")))
		Expect(err).NotTo(MatchError(ContainSubstring("hunter2")))
	})

	It("takes an inline bmc: over the inventory's, field by field", func() {
		inv, err := hosts.ParseInventory("inv.ini", []byte("hv-a ipmi_address=10.1.0.2 ipmi_user=admin ipmi_password_file=/etc/pw\n"))
		Expect(err).NotTo(HaveOccurred())
		inline, errs := hosts.DecodeHosts(map[string]any{"hv-a": map[string]any{"bmc": map[string]any{"passwordEnv": "PW", "port": 6231}}})
		Expect(errs).To(BeEmpty())
		set, err := hosts.NewSet(inv, hosts.Spec{}, inline)
		Expect(err).NotTo(HaveOccurred())
		Expect(*set.Hosts["hv-a"].BMC).To(Equal(hosts.BMC{Address: "10.1.0.2", Port: 6231, User: "admin", PasswordEnv: "PW"}))

		_, errs = hosts.DecodeHosts(map[string]any{"hv-a": map[string]any{"bmc": map[string]any{"password": "x"}}})
		Expect(errs).To(ConsistOf(hosts.FieldError{Field: "hv-a.bmc.password", Msg: "faultline reads a BMC password only from a file or an environment variable: write passwordFile or passwordEnv"}))
	})
})

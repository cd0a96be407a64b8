package hosts_test

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/hosts"
)

var _ = Describe("Ansible inventories", func() {
	for _, file := range []string{"testdata/cluster.yaml", "testdata/cluster.ini"} {
		It("reads groups, children and connection variables from "+file, func() {
			inv, err := hosts.LoadInventory(file)
			Expect(err).NotTo(HaveOccurred())
			Expect(inv.Groups["hypervisors"]).To(Equal([]string{"hv-a", "hv-b", "hv-c"}))
			Expect(inv.Groups["sans"]).To(Equal([]string{"san-a", "san-b"}))
			Expect(inv.Groups["storage"]).To(Equal([]string{"san-a", "san-b"}), "children's hosts belong to the parent")
			Expect(inv.Groups["all"]).To(HaveLen(6))

			a := inv.Hosts["hv-a"]
			Expect(a.Address).To(Equal("198.19.0.2"))
			Expect(a.User).To(Equal("admin"), "all's vars reach every host")
			Expect(a.Port).To(Equal(2222), "group vars reach the group's hosts")
			Expect(a.Groups).To(Equal([]string{"hypervisors"}))

			Expect(inv.Hosts["hv-b"].User).To(Equal("ops"), "host vars beat group vars")
			c := inv.Hosts["hv-c"]
			Expect(c.Port).To(Equal(22))
			Expect(c.Identity).To(Equal(filepath.Join("testdata", "keys/hv-c")), "relative to the inventory")
			Expect(c.Vars).To(HaveKeyWithValue("ansible_host", "198.19.0.4"))

			Expect(inv.Hosts["san-b"].DialNetns).To(Equal("fl-mgmt"), "ranges expand")
			Expect(inv.Hosts["san-b"].Groups).To(Equal([]string{"sans", "storage"}))
			Expect(inv.Hosts["client"].Address).NotTo(Equal("198.19.0.2"))
		})
	}

	It("gives the INI ungrouped host its address and line", func() {
		inv, err := hosts.LoadInventory("testdata/cluster.ini")
		Expect(err).NotTo(HaveOccurred())
		Expect(inv.Hosts["client"].Address).To(Equal("198.19.0.9"))
		Expect(inv.Hosts["client"].Source).To(Equal("testdata/cluster.ini:2"))
		Expect(inv.Groups["ungrouped"]).To(Equal([]string{"client"}))
	})

	It("names file:line and host for a bad port (INI)", func() {
		_, err := hosts.LoadInventory("testdata/badport.ini")
		Expect(err).To(MatchError(ContainSubstring(`testdata/badport.ini:3: host hv-b: ansible_port: bad port "twenty-two"`)))
	})

	It("names file:line and host for a bad port (YAML)", func() {
		_, err := hosts.LoadInventory("testdata/badport.yaml")
		Expect(err).To(MatchError(ContainSubstring(`testdata/badport.yaml:4: host hv-a: ansible_port: bad port "70000"`)))
	})

	It("refuses a group that is its own child, naming the line", func() {
		_, err := hosts.LoadInventory("testdata/cycle.ini")
		Expect(err).To(MatchError(ContainSubstring("testdata/cycle.ini:")))
		Expect(err).To(MatchError(ContainSubstring("is its own child")))
	})

	It("refuses unknown group keys with their line", func() {
		_, err := hosts.LoadInventory("testdata/badkey.yaml")
		Expect(err).To(MatchError(ContainSubstring(`testdata/badkey.yaml:4: group all: unknown key "childs"`)))
	})

	It("reports INI syntax errors with their lines, all at once", func() {
		_, err := hosts.ParseInventory("inv.ini", []byte("[web\nhv-a novalue\n[x:bogus]\n"))
		Expect(err).To(MatchError(ContainSubstring("inv.ini:1: unterminated section header")))
		Expect(err).To(MatchError(ContainSubstring(`inv.ini:2: host hv-a: want key=value, got "novalue"`)))
		Expect(err).To(MatchError(ContainSubstring(`inv.ini:3: unknown section kind "bogus"`)))
	})

	It("expands zero-padded numeric ranges", func() {
		inv, err := hosts.LoadInventory("testdata/many.ini")
		Expect(err).NotTo(HaveOccurred())
		Expect(inv.Groups["hypervisors"]).To(HaveLen(20))
		Expect(inv.Hosts).To(HaveKey("hv-01"))
		Expect(inv.Hosts).To(HaveKey("hv-20"))
	})

	It("reports a missing file", func() {
		_, err := hosts.LoadInventory("testdata/nope.ini")
		Expect(err).To(MatchError(ContainSubstring("nope.ini")))
	})
})

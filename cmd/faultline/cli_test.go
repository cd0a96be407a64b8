package main_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// faultline runs the binary and returns its combined output and exit code.
func faultline(args ...string) (string, int) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FAULTLINE_STATE_DIR="+GinkgoT().TempDir())
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	Expect(err).NotTo(HaveOccurred())
	return string(out), 0
}

func writeFile(dir, name, body string) string {
	p := filepath.Join(dir, name)
	Expect(os.WriteFile(p, []byte(body), 0o644)).To(Succeed())
	return p
}

// miniTopology brings up scripts/mini-topology.sh under a random prefix.
func miniTopology() string {
	if os.Geteuid() != 0 {
		Skip("needs root for network namespaces")
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	prefix := "fl-" + hex.EncodeToString(b[:])
	script, _ := filepath.Abs("../../scripts/mini-topology.sh")
	cmd := exec.Command("bash", script, "up")
	cmd.Env = append(os.Environ(), "FL_MINI_PREFIX="+prefix)
	out, err := cmd.CombinedOutput()
	DeferCleanup(func() {
		c := exec.Command("bash", script, "down")
		c.Env = append(os.Environ(), "FL_MINI_PREFIX="+prefix)
		_ = c.Run()
	})
	Expect(err).NotTo(HaveOccurred(), string(out))
	return prefix
}

const cutTemplate = `version: 1
name: cli-cut
probes:
  web:
    http: {url: "http://198.18.100.2/", status: 200, timeout: 100ms}
    every: 5ms
    netns: %[1]s-client
steadyState:
  - {probe: web, for: 300ms}
steps:
  - name: cut
    fault: link.down
    with: {netns: %[1]s-server, link: eth0}
    at: 200ms
    duration: 2s
observe: 300ms
verify:
  - {probe: web, maxOutage: %[2]s}
`

var _ = Describe("faultline", func() {
	It("rejects a bad experiment with file:line:column for every error, exit 2", func() {
		dir := GinkgoT().TempDir()
		p := writeFile(dir, "bad.yaml", `version: 1
name: Bad_Name
probes:
  web:
    http: {url: "http://198.18.100.2/"}
    evry: 10ms
steps:
  - name: cut
    fault: link.nope
    with: {link: eth0}
verify:
  - {probe: webb, maxOutage: 2 s}
`)
		out, code := faultline("validate", p)
		Expect(code).To(Equal(2))
		Expect(out).To(ContainSubstring(p + ":2:"))  // name
		Expect(out).To(ContainSubstring(p + ":6:"))  // unknown field evry
		Expect(out).To(ContainSubstring(p + ":9:"))  // unknown fault kind
		Expect(out).To(ContainSubstring(p + ":12:")) // unknown probe / bad duration
	})

	It("prints the JSON Schema", func() {
		out, code := faultline("schema")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring(`"steadyState"`))
	})

	It("exits 2 on a plan whose target does not exist, injecting nothing", func() {
		dir := GinkgoT().TempDir()
		p := writeFile(dir, "x.yaml", fmt.Sprintf(cutTemplate, "fl-nonexistent", "1s"))
		out, code := faultline("plan", p)
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("fl-nonexistent-server"))
	})

	Context("against a real topology", Serial, func() {
		It("exits 1 when a 2s cut breaks a 1s maxOutage bound and 0 under a 3s bound; the report gives the same verdict", func() {
			prefix := miniTopology()
			dir := GinkgoT().TempDir()
			bad := writeFile(dir, "one.yaml", fmt.Sprintf(cutTemplate, prefix, "1s"))
			out, code := faultline("run", "--out", filepath.Join(dir, "one"), bad)
			Expect(code).To(Equal(1), out)
			Expect(out).To(ContainSubstring("FAIL  web maxOutage"))

			rep, code := faultline("report", "--format", "json", filepath.Join(dir, "one", "journal.jsonl"))
			Expect(code).To(Equal(0))
			Expect(rep).To(ContainSubstring(`"status": "failed"`))

			var suites struct {
				Failures int `xml:"failures,attr"`
				Tests    int `xml:"tests,attr"`
			}
			data, err := os.ReadFile(filepath.Join(dir, "one", "junit.xml"))
			Expect(err).NotTo(HaveOccurred())
			Expect(xml.Unmarshal(data, &suites)).To(Succeed())
			Expect(suites.Failures).To(Equal(1))
			md, err := os.ReadFile(filepath.Join(dir, "one", "summary.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.SplitN(string(md), "\n", 2)[0]).To(ContainSubstring("FAILED"))

			good := writeFile(dir, "three.yaml", fmt.Sprintf(cutTemplate, prefix, "3s"))
			out, code = faultline("run", "--out", filepath.Join(dir, "three"), good)
			Expect(code).To(Equal(0), out)
		})
	})
})

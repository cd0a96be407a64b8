package main_test

import (
	"encoding/json"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"

	_ "github.com/faultline/faultline/faults/actions"
	_ "github.com/faultline/faultline/faults/bmcfault"
	_ "github.com/faultline/faultline/faults/netfault"
	_ "github.com/faultline/faultline/faults/procfault"
	_ "github.com/faultline/faultline/faults/virtfault"
)

// kindBlock is one kind's lines of `faultline kinds`: its header and the
// indented parameter lines under it.
func kindBlock(out, header string) string {
	out = "\n" + out
	i := strings.Index(out, "\n"+header)
	if i < 0 {
		return ""
	}
	rest := out[i+1:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// sampleValue is a value of a parameter's listed type, for the decoders.
func sampleValue(typ string) any {
	typ, _, _ = strings.Cut(typ, " or ")
	switch {
	case strings.HasPrefix(typ, "list of"):
		return []any{}
	case typ == "integer" || typ == "number":
		return 1
	case typ == "boolean":
		return true
	case typ == "duration":
		return "1s"
	case strings.Contains(typ, "|"):
		v, _, _ := strings.Cut(typ, "|")
		return v
	}
	return "x"
}

var _ = Describe("faultline kinds", func() {
	It("lists every fault, action and probe kind with its required parameters, their types and declared defaults", func() {
		out, code := faultline("kinds")
		Expect(code).To(Equal(0), out)
		kinds := experiments.Kinds()
		Expect(len(kinds)).To(BeNumerically(">=", len(faults.Names())+5))
		for _, k := range kinds {
			Expect(k.Params).NotTo(BeEmpty(), "%s %s declares no `with` struct", k.Class, k.Name)
			block := kindBlock(out, k.Name+" ("+k.Class+"): ")
			Expect(block).NotTo(BeEmpty(), "%s missing from faultline kinds", k.Name)
			for _, p := range k.Params {
				line := `(?m)^  ` + regexp.QuoteMeta(p.Name) + ` +` + regexp.QuoteMeta(p.Type)
				if p.Required {
					line += `, required`
				}
				Expect(block).To(MatchRegexp(line), "%s.%s", k.Name, p.Name)
			}
		}
		Expect(kindBlock(out, "net.bandwidth (fault)")).To(MatchRegexp(`(?m)^  latency +string, default 50ms`))
		Expect(kindBlock(out, "http (probe)")).To(MatchRegexp(`(?m)^  status +integer, default 200`))
		Expect(kindBlock(out, "process.kill (fault)")).To(MatchRegexp(`(?m)^  signal +string or integer, default SIGKILL`))

		list, code := faultline("inject", "--list")
		Expect(code).To(Equal(0), list)
		Expect(list).To(ContainSubstring("net.delay (fault): "))
		Expect(list).To(MatchRegexp(`(?m)^  delay +string, required`))
		Expect(list).NotTo(ContainSubstring("(action)"))
		Expect(list).NotTo(ContainSubstring("(probe)"))
	})

	It("lists for each fault and action kind the struct its constructor decodes", func() {
		for _, k := range experiments.Kinds() {
			if k.Class == "probe" {
				continue
			}
			reg, _ := faults.Lookup(k.Name)
			for _, p := range k.Params {
				raw, err := json.Marshal(map[string]any{p.Name: sampleValue(p.Type)})
				Expect(err).NotTo(HaveOccurred())
				if reg.NewFault != nil {
					_, err = reg.NewFault(raw)
				} else {
					_, err = reg.NewAction(raw)
				}
				if err != nil {
					Expect(err.Error()).NotTo(ContainSubstring("unknown field"), "%s.%s (%s)", k.Name, p.Name, p.Type)
					Expect(err.Error()).NotTo(ContainSubstring("cannot unmarshal"), "%s.%s (%s)", k.Name, p.Name, p.Type)
				}
			}
		}
	})
})

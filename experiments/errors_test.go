package experiments_test

import (
	"errors"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
)

// parseErrors parses src and returns the reported errors, failing the
// spec when Parse succeeds or returns another error type.
func parseErrors(src string) []experiments.FieldError {
	GinkgoHelper()
	e, err := experiments.Parse("x.yaml", []byte(src))
	Expect(err).To(HaveOccurred(), "want errors for:\n%s", src)
	Expect(e).To(BeNil(), "nothing may run from an invalid file")
	var list *experiments.ErrorList
	Expect(errors.As(err, &list)).To(BeTrue(), "want *ErrorList, got %T", err)
	for _, fe := range list.Errors {
		Expect(fe.File).To(Equal("x.yaml"))
	}
	return list.Errors
}

// head is a valid start that error cases extend.
const head = "version: 1\nname: e\nprobes:\n  web: {http: {url: \"http://127.0.0.1/\"}}\n"

// want is one expected error: at is the text the error must point at (its
// first occurrence in the file, after the valid head); "" means 1:1.
type want struct {
	at    string
	field string
	msg   string
}

// positionOf finds the line and column of the first occurrence of at.
func positionOf(src, at string) (int, int) {
	GinkgoHelper()
	if at == "" {
		return 1, 1
	}
	from := 0
	if strings.HasPrefix(src, head) {
		from = len(head)
	}
	i := strings.Index(src[from:], at)
	Expect(i).To(BeNumerically(">=", 0), "marker %q not in source", at)
	i += from
	line := strings.Count(src[:i], "\n") + 1
	col := i - strings.LastIndex(src[:i], "\n")
	return line, col
}

func expectOnly(src string, w want) {
	GinkgoHelper()
	errs := parseErrors(src)
	Expect(errs).To(HaveLen(1), "errors: %v", errs)
	line, col := positionOf(src, w.at)
	Expect([]int{errs[0].Line, errs[0].Column}).To(Equal([]int{line, col}), "position of %v, want at %q", errs[0], w.at)
	Expect(errs[0].Field).To(Equal(w.field))
	Expect(errs[0].Msg).To(ContainSubstring(w.msg))
}

var _ = Describe("Parse errors", func() {
	DescribeTable("one problem, at its line and column, with its field",
		expectOnly,

		// Syntax and shape of the file.
		Entry("YAML syntax", "version: 1\nname: [a, b\n", want{"[a, b", "", "YAML syntax"}),
		Entry("empty file", "# nothing\n", want{"", "", "empty file"}),
		Entry("not a mapping", "- a\n", want{"", "", "want a mapping, got a list"}),
		Entry("two documents", head+"---\nversion: 1\n", want{"version", "", "more than one YAML document"}),

		// Unknown fields and wrong types.
		Entry("unknown top-level field", head+"steps2: []\n", want{"steps2", "steps2", `unknown field "steps2"`}),
		Entry("unknown nested field", head+"safety: {maxTarget: 3}\n", want{"maxTarget", "safety.maxTarget", `unknown field "maxTarget"`}),
		Entry("unknown probe field", "version: 1\nname: e\nprobes:\n  web:\n    http: {url: \"http://a/\", stauts: 200}\n",
			want{"stauts", "probes.web.http.stauts", `unknown field "stauts"`}),
		Entry("string where an integer goes", "version: \"1\"\nname: e\n", want{"\"1\"", "version", "want an integer, got a string"}),
		Entry("number where a string goes", head+"description: 12\n", want{"12", "description", "want a string, got an integer"}),
		Entry("mapping where a list goes", head+"steps: {name: a}\n", want{"{name", "steps", "want a list, got a mapping"}),
		Entry("boolean field", head+"safety: {allowLockout: yes please}\n", want{"yes please", "safety.allowLockout", "want true or false"}),
		Entry("null where a probe kind goes", "version: 1\nname: e\nprobes:\n  web:\n    http:\n", want{"http:", "probes.web.http", "want a mapping, got null"}),
		Entry("custom tag", head+"description: !secret x\n", want{"!secret", "description", "unsupported tag !secret"}),
		Entry("unknown alias", head+"description: *nope\n", want{"*nope", "description", "unknown alias *nope"}),
		Entry("merge key", head+"safety:\n  <<: {maxTargets: 1}\n", want{"<<", "safety", "merge keys (<<) are not supported"}),

		// Durations.
		Entry("duration with a space", head+"observe: 2 s\n", want{"2 s", "observe", `bad duration "2 s"`}),
		Entry("negative duration", head+"observe: -1s\n", want{"-1s", "observe", "must not be negative"}),
		Entry("duration without a number", head+"observe: fast\n", want{"fast", "observe", `bad duration "fast"`}),
		Entry("duration without a unit", head+"observe: 5\n", want{"5", "observe", "bad duration 5"}),
		Entry("duration as a list", head+"observe: [1s]\n", want{"[1s]", "observe", "want a duration"}),

		// Version and name.
		Entry("version 2", "version: 2\nname: e\n", want{"2", "version", "unsupported version 2"}),
		Entry("missing version", "name: e\n", want{"", "version", "missing"}),
		Entry("bad name", "version: 1\nname: Kill_A\n", want{"Kill_A", "name", `bad name "Kill_A"`}),
		Entry("missing name", "version: 1\n", want{"", "name", "missing"}),

		// Probes.
		Entry("duplicate probe", head+"  web: {tcp: {address: \"a:1\"}}\n", want{"web: {tcp", "probes.web", `duplicate key "web" (first at line 4)`}),
		Entry("probe without a kind", "version: 1\nname: e\nprobes:\n  web: {every: 1s}\n", want{"web", "probes.web", "set one probe kind"}),
		Entry("probe with two kinds", "version: 1\nname: e\nprobes:\n  web:\n    http: {url: \"http://a/\"}\n    tcp: {address: \"a:1\"}\n",
			want{"{address", "probes.web.tcp", "set only one probe kind, got http and tcp"}),
		Entry("http url not http", "version: 1\nname: e\nprobes:\n  web: {http: {url: \"ftp://a/\"}}\n", want{"\"ftp", "probes.web.http.url", "want http://host/"}),
		Entry("http url missing", "version: 1\nname: e\nprobes:\n  web: {http: {status: 200}}\n", want{"{status", "probes.web.http.url", "missing"}),
		Entry("http status", "version: 1\nname: e\nprobes:\n  web: {http: {url: \"http://a/\", status: 42}}\n", want{"42", "probes.web.http.status", "bad HTTP status 42"}),
		Entry("tcp address without port", "version: 1\nname: e\nprobes:\n  db: {tcp: {address: \"198.18.0.1\"}}\n", want{"\"198", "probes.db.tcp.address", "want host:port"}),
		Entry("tcp port out of range", "version: 1\nname: e\nprobes:\n  db: {tcp: {address: \"h:70000\"}}\n", want{"\"h:7", "probes.db.tcp.address", "port from 1 to 65535"}),
		Entry("exec without command", "version: 1\nname: e\nprobes:\n  q: {exec: {command: []}}\n", want{"[]", "probes.q.exec.command", "missing"}),
		Entry("libvirt without uris", "version: 1\nname: e\nprobes:\n  r: {libvirt: {domains: \"web-*\"}}\n", want{"{domains", "probes.r.libvirt.uris", "missing"}),
		Entry("libvirt without domains", "version: 1\nname: e\nprobes:\n  r: {libvirt: {uris: [\"test:///default\"]}}\n", want{"{uris", "probes.r.libvirt.domains", "missing"}),
		Entry("libvirt bad glob", "version: 1\nname: e\nprobes:\n  r: {libvirt: {uris: [u], domains: \"web-[\"}}\n", want{"\"web-[", "probes.r.libvirt.domains", "bad glob"}),
		Entry("every below 1ms", "version: 1\nname: e\nprobes:\n  web: {tcp: {address: \"a:1\"}, every: 500us}\n", want{"500us", "probes.web.every", "at least 1ms"}),
		Entry("every: 0", "version: 1\nname: e\nprobes:\n  web: {tcp: {address: \"a:1\"}, every: 0}\n", want{"0}", "probes.web.every", "at least 1ms"}),
		Entry("netns path", "version: 1\nname: e\nprobes:\n  web: {tcp: {address: \"a:1\"}, netns: /run/netns/x}\n", want{"/run", "probes.web.netns", "bad namespace name"}),

		// Steady state.
		Entry("steady state unknown probe", head+"steadyState:\n  - {probe: wbe, for: 2s}\n", want{"wbe", "steadyState[0].probe", `unknown probe "wbe" (defined: web)`}),
		Entry("steady state for 0", head+"steadyState:\n  - {probe: web, for: 0s}\n", want{"0s", "steadyState[0].for", "longer than 0"}),
		Entry("steady state without for", head+"steadyState:\n  - {probe: web}\n", want{"{probe", "steadyState[0].for", "longer than 0"}),

		// Steps.
		Entry("unknown fault kind", head+"steps:\n  - {name: a, fault: link.dwon}\n", want{"link.dwon", "steps[0].fault", `unknown fault kind "link.dwon" (known: test.fault`}),
		Entry("unknown action kind", head+"steps:\n  - {name: a, action: nope}\n", want{"nope", "steps[0].action", `unknown action kind "nope" (known: test.action)`}),
		Entry("action named as a fault", head+"steps:\n  - {name: a, fault: test.action, with: {domain: d}}\n", want{"test.action", "steps[0].fault", "is an action: write action: test.action"}),
		Entry("fault named as an action", head+"steps:\n  - {name: a, action: test.fault, with: {uri: u}}\n", want{"test.fault", "steps[0].action", "is a fault"}),
		Entry("neither fault nor action", head+"steps:\n  - name: a\n    wait: 1s\n", want{"name: a", "steps[0]", "set one of fault"}),
		Entry("both fault and action", head+"steps:\n  - {name: a, fault: test.fault, action: test.action, with: {uri: u}}\n", want{"test.action", "steps[0].action", "set only one of fault, action"}),
		Entry("step without name", head+"steps:\n  - {fault: test.fault, with: {uri: u}}\n", want{"{fault", "steps[0].name", "missing"}),
		Entry("step name with a dot", head+"steps:\n  - {name: a.end, fault: test.fault, with: {uri: u}}\n", want{"a.end", "steps[0].name", "bad step name"}),
		Entry("duplicate step names", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\n  - {name: a, action: test.action, with: {domain: d}}\n",
			want{"a, action", "steps[1].name", `duplicate step name "a" (first at line 6)`}),
		Entry("bad revert", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}, revert: later}\n", want{"later", "steps[0].revert", `bad revert "later"`}),
		Entry("revert on an action", head+"steps:\n  - {name: a, action: test.action, with: {domain: d}, revert: never}\n", want{"never", "steps[0].revert", "only for faults"}),
		Entry("at and wait", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}, at: 1s, wait: 2s}\n", want{"2s", "steps[0].wait", "at most one of at"}),
		Entry("duration on an action", head+"steps:\n  - {name: a, action: test.action, with: {domain: d}, duration: 5s}\n", want{"5s", "steps[0].duration", "only for faults"}),
		Entry("with rejected by the kind", head+"steps:\n  - name: a\n    fault: test.fault\n    with: {period: 1s}\n", want{"{period", "steps[0].with", "uri: missing"}),
		Entry("with missing entirely", head+"steps:\n  - {name: a, action: test.action}\n", want{"{name: a", "steps[0].with", "domain: missing"}),
		Entry("unknown with parameter, at its key", head+"steps:\n  - name: a\n    fault: test.fault\n    with:\n      uri: u\n      perod: 1s\n",
			want{"perod", "steps[0].with.perod", `unknown field "perod"`}),
		Entry("with parameter of the wrong type, at its value", head+"steps:\n  - name: a\n    fault: test.fault\n    with:\n      uri: u\n      count: many\n",
			want{"many", "steps[0].with.count", "cannot unmarshal"}),
		Entry("with that is not a mapping", head+"steps:\n  - {name: a, fault: test.fault, with: [u]}\n", want{"[u]", "steps[0].with", "want a mapping, got a list"}),
		Entry("with holding infinity", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u, count: .inf}}\n", want{".inf", "steps[0].with.count", "finite number"}),
		Entry("duplicate with parameter", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u, uri: v}}\n", want{"uri: v", "steps[0].with.uri", `duplicate key "uri"`}),
		Entry("constructor that panics", head+"steps:\n  - {name: a, fault: test.panics}\n", want{"{name: a", "steps[0].with", "constructor bug"}),
		Entry("duplicate step field", head+"steps:\n  - name: a\n    name: b\n    fault: test.fault\n    with: {uri: u}\n", want{"name: b", "steps[0].name", "duplicate field (first set at line 6)"}),

		// Verify.
		Entry("verify unknown probe", head+"verify:\n  - {probe: api, maxOutage: 1s}\n", want{"api", "verify[0].probe", `unknown probe "api"`}),
		Entry("verify with no assertion", head+"verify:\n  - {probe: web}\n", want{"{probe", "verify[0]", "set one of availability"}),
		Entry("verify with two assertions", head+"verify:\n  - {probe: web, maxOutage: 1s, never: ok}\n", want{"ok", "verify[0].never", "set only one of"}),
		Entry("availability without %", head+"verify:\n  - {probe: web, availability: \">= 99.5\"}\n", want{"\">= 99.5\"", "verify[0].availability", "want a percentage"}),
		Entry("availability not a comparison", head+"verify:\n  - {probe: web, availability: \"99.5%\"}\n", want{"\"99.5%", "verify[0].availability", "bad comparison"}),
		Entry("availability over 100%", head+"verify:\n  - {probe: web, availability: \">= 150%\"}\n", want{"\">= 150", "verify[0].availability", "out of range"}),
		Entry("maxOutage bad duration", head+"verify:\n  - {probe: web, maxOutage: 3 s}\n", want{"3 s", "verify[0].maxOutage", `bad duration "3 s"`}),
		Entry("reaches without within", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, reaches: ok, after: a}\n",
			want{"{probe", "verify[0].within", "reaches needs within"}),
		Entry("reaches without after", head+"verify:\n  - {probe: web, reaches: ok, within: 5s}\n", want{"{probe", "verify[0].after", "reaches needs after"}),
		Entry("reaches bad value", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, reaches: up, within: 5s, after: a}\n",
			want{"up", "verify[0].reaches", "want ok or a comparison"}),
		Entry("reaches a percentage", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, reaches: \">= 2%\", within: 5s, after: a}\n",
			want{"\">= 2%", "verify[0].reaches", "plain number"}),
		Entry("after an unknown step", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, reaches: ok, within: 5s, after: b.end}\n",
			want{"b.end", "verify[0].after", `unknown step "b"`}),
		Entry("during an unknown step", head+"steps:\n  - {name: a, fault: test.fault, with: {uri: u}}\nverify:\n  - {probe: web, maxOutage: 1s, during: axe}\n",
			want{"axe", "verify[0].during", `unknown step "axe" (defined: a)`}),
		Entry("within without reaches", head+"verify:\n  - {probe: web, maxOutage: 1s, within: 5s}\n", want{"5s", "verify[0].within", "only with reaches"}),
		Entry("latency unknown percentile", head+"verify:\n  - {probe: web, latency: {p98: \"< 1s\"}}\n", want{"p98", "verify[0].latency.p98", `unknown percentile "p98"`}),
		Entry("latency not a duration", head+"verify:\n  - {probe: web, latency: {p99.9: \"< 200\"}}\n", want{"\"< 200", "verify[0].latency.p99.9", "want a duration"}),
		Entry("latency empty", head+"verify:\n  - {probe: web, latency: {}}\n", want{"{}", "verify[0].latency", "bound at least one"}),
		Entry("never other than ok", head+"verify:\n  - {probe: web, never: fail}\n", want{"fail", "verify[0].never", "the only value is ok"}),

		// Stop conditions and safety.
		Entry("abortWhen unknown probe", head+"abortWhen:\n  - {probe: db, outageLongerThan: 3s}\n", want{"db", "abortWhen[0].probe", `unknown probe "db"`}),
		Entry("abortWhen with neither", head+"abortWhen:\n  - {probe: web}\n", want{"{probe", "abortWhen[0]", "set one of outageLongerThan"}),
		Entry("abortWhen with both", head+"abortWhen:\n  - {probe: web, outageLongerThan: 3s, availabilityBelow: \"90%\"}\n", want{"\"90%", "abortWhen[0].availabilityBelow", "set only one"}),
		Entry("abortWhen bad percentage", head+"abortWhen:\n  - {probe: web, availabilityBelow: \"90\"}\n", want{"\"90\"", "abortWhen[0].availabilityBelow", "bad percentage"}),
		Entry("window without availabilityBelow", head+"abortWhen:\n  - {probe: web, outageLongerThan: 3s, window: 5s}\n", want{"5s", "abortWhen[0].window", "only with availabilityBelow"}),
		Entry("negative maxTargets", head+"safety: {maxTargets: -1}\n", want{"-1", "safety.maxTargets", "must not be negative"}),
	)

	It("reports every problem at once, sorted by position", func() {
		src := `version: 1
name: Bad_Name
probes:
  web: {http: {url: "http://198.18.0.1/"}, every: fast}
  web: {tcp: {address: "x:1"}}
steps:
  - {name: axe, fault: nope, with: {uri: u}}
  - {name: remap, action: test.action, with: {domain: d}, duration: 3s, colour: red}
verify:
  - {probe: api, maxOutage: 1s}
  - {probe: web, reaches: ok, within: 2 s, after: axe.end}
abortWhen:
  - {probe: web, availabilityBelow: "lots"}
`
		errs := parseErrors(src)
		got := make([]string, len(errs))
		for i, fe := range errs {
			got[i] = fe.Error()
		}
		Expect(got).To(Equal([]string{
			`x.yaml:2:7: name: bad name "Bad_Name": use only a-z, 0-9 and -`,
			`x.yaml:4:51: probes.web.every: bad duration "fast" (want a number with a unit, e.g. 150ms, 2s, 1m)`,
			`x.yaml:5:3: probes.web: duplicate key "web" (first at line 4)`,
			`x.yaml:7:24: steps[0].fault: unknown fault kind "nope" (known: test.fault, test.panics)`,
			`x.yaml:8:69: steps[1].duration: only for faults: an action is not held`,
			`x.yaml:8:73: steps[1].colour: unknown field "colour" (known: name, fault, action, with, at, wait, duration, revert, on, count, percent, seed)`,
			`x.yaml:10:13: verify[0].probe: unknown probe "api" (defined: web)`,
			`x.yaml:11:39: verify[1].within: bad duration "2 s" (want a number with a unit, e.g. 150ms, 2s, 1m)`,
			`x.yaml:13:37: abortWhen[0].availabilityBelow: bad percentage "lots": want e.g. "90%"`,
		}))
		_, err := experiments.Parse("x.yaml", []byte(src))
		Expect(strings.Split(err.Error(), "\n")).To(HaveLen(len(errs)))
	})

	It("prints errors without a position when an experiment built in code is invalid", func() {
		e := &experiments.Experiment{Version: 1, Name: "built", File: "code",
			Steps:  []*experiments.Step{{Name: "a", Fault: "test.fault", With: map[string]any{"uri": "u"}, Line: 7}},
			Verify: []experiments.Verify{{Probe: "nope", Never: "ok"}},
		}
		err := e.Validate()
		Expect(err).To(MatchError(`code: verify[0].probe: unknown probe "nope" (none defined)`))
		e.Steps[0].With = nil
		Expect(e.Validate()).To(MatchError(ContainSubstring("code:7:0: steps[0].with: uri: missing")))
	})

	It("refuses, quickly and with a position, input that would make the YAML parser slow", func() {
		deep := "version: 1\nname: e\ndescription: " + strings.Repeat("[", 10000)
		errs := parseErrors(deep)
		Expect(errs).To(HaveLen(1))
		Expect(errs[0].Error()).To(Equal(fmt.Sprintf("x.yaml:3:%d: nested deeper than %d levels", 14+experiments.MaxFlowDepth, experiments.MaxFlowDepth)))

		wide := "version: 1\nname: e\nlabels:\n" + strings.Repeat("  k: v\n", experiments.MaxTokens)
		errs = parseErrors(wide)
		Expect(errs).To(HaveLen(1))
		Expect(errs[0].Msg).To(ContainSubstring("file too complex"))
		Expect(errs[0].Line).To(BeNumerically(">", 4))

		errs = parseErrors("# " + strings.Repeat("x", experiments.MaxFileSize))
		Expect(errs[0].Msg).To(ContainSubstring("file too large"))
	})

	It("bounds alias expansion", func() {
		src := head + "steps:\n  - name: a\n    fault: test.fault\n    with:\n      uri: u\n      l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
		for i := 1; i < 9; i++ {
			src += "      l" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9) + "*a" + string(rune('0'+i-1)) + "]\n"
		}
		errs := parseErrors(src)
		Expect(errs[0].Msg).To(ContainSubstring("document too large"))
	})
})

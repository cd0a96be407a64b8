package procfault_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = DescribeTable("bad `with` parameters are refused, naming the field",
	func(kind string, with map[string]any, want string) {
		_, err := build(kind, with)
		Expect(err).To(MatchError(ContainSubstring(want)))
	},
	Entry("no selector", "process.kill", map[string]any{}, "exactly one of name, cmdline, pidFile, unit is required"),
	Entry("two selectors", "process.kill", map[string]any{"name": "sleep", "cmdline": "sleep"}, "(got name, cmdline)"),
	Entry("bad regexp", "process.pause", map[string]any{"cmdline": "sle(ep"}, "cmdline: bad regexp"),
	Entry("unknown signal", "process.kill", map[string]any{"name": "sleep", "signal": "SIGNOPE"}, `signal: unknown signal "SIGNOPE"`),
	Entry("signal 0", "process.kill", map[string]any{"name": "sleep", "signal": 0}, "signal: 0 is not a signal number"),
	Entry("signal 99", "process.kill", map[string]any{"name": "sleep", "signal": "99"}, "signal: 99 is not a signal number"),
	Entry("signal on pause", "process.pause", map[string]any{"name": "sleep", "signal": "TERM"}, `unknown field "signal"`),
	Entry("name longer than a comm", "process.kill", map[string]any{"name": "a-very-long-daemon-name"}, "name: \"a-very-long-daemon-name\" is longer than a comm"),
	Entry("netns climbing out", "process.kill", map[string]any{"name": "sleep", "netns": "../etc"}, `netns: "../etc" is not a namespace name`),
	Entry("unit with a slash", "process.kill", map[string]any{"unit": "../x.service"}, `unit: "../x.service" is not a unit name`),
	Entry("count and percent", "process.kill", map[string]any{"name": "sleep", "count": 1, "percent": 50}, "count and percent are exclusive"),
	Entry("percent over 100", "process.kill", map[string]any{"name": "sleep", "percent": 150}, "percent must be within 0..100"),
	Entry("negative count", "process.kill", map[string]any{"name": "sleep", "count": -1}, "count must not be negative"),
)

var _ = Describe("signal names", func() {
	It("accepts SIGTERM, TERM, term and 15 alike", func() {
		for _, s := range []any{"SIGTERM", "TERM", "term", 15, "15"} {
			f := mustBuild("process.kill", map[string]any{"name": "sleep", "signal": s})
			Expect(f.Describe()).To(HavePrefix("process.kill SIGTERM to name \"sleep\""), "%v", s)
		}
		f := mustBuild("process.kill", map[string]any{"name": "sleep"})
		Expect(f.Describe()).To(HavePrefix("process.kill SIGKILL"))
	})
})

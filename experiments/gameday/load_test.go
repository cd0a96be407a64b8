package gameday_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/experiments/gameday"
	"github.com/faultline/faultline/internal/nettest"

	_ "github.com/faultline/faultline/faults/netfault"
)

// offline builds experiment files that validate without any namespace.
func offline(name string) string {
	p := &pair{&nettest.Topo{Client: "fl-none-c", Server: "fl-none-s"}}
	return p.expYAML(name, "300ms", "1s", "labels: {team: platform}\nabortWhen:\n  - {probe: web, outageLongerThan: 5s}\n")
}

var _ = Describe("loading a game-day file", func() {
	It("resolves paths and globs in order and applies overrides as a merge patch", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"exps/b-one.yaml": offline("b-one"),
			"exps/a-two.yaml": offline("a-two"),
			"first.yaml":      offline("first"),
			"gd.yaml": `version: 1
name: nightly
experiments:
  - first.yaml
  - exps/*.yaml
  - path: first.yaml
    overrides: {name: first-again, observe: 1500ms, labels: {run: nightly}, abortWhen: null, safety: {maxTargets: 1}}
cooldown: 2s
stopOnFailure: true
`})
		gd, err := gameday.Load(dir + "/gd.yaml")
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range gd.Experiments {
			names = append(names, e.Name)
		}
		Expect(names).To(Equal([]string{"first", "a-two", "b-one", "first-again"}))
		again := gd.Experiments[3]
		Expect(again.Observe.D()).To(Equal(1500 * time.Millisecond))
		Expect(again.Labels).To(Equal(map[string]string{"team": "platform", "run": "nightly"}), "labels merge key by key")
		Expect(again.AbortWhen).To(BeEmpty(), "null removes a field")
		Expect(again.Safety.MaxTargets).To(Equal(1))
		Expect(again.Steps).To(HaveLen(1))
		Expect(again.File).To(Equal(dir + "/first.yaml"))
		Expect(gd.Experiments[0].Observe.D()).To(Equal(200*time.Millisecond), "the original is untouched")
		Expect(gd.File.Cooldown.D()).To(Equal(2 * time.Second))
		Expect(gd.File.StopOnFailure).To(BeTrue())
		Expect(gd.Window).To(BeNil())
	})

	It("names file, line, column and field of every problem at once", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"a.yaml": offline("a"),
			"gd.yaml": `version: 1
name: Bad_Name
experiments:
  - a.yaml
  - nothing-*.yaml
  - {path: a.yaml, overrides: {version: 2, steps: []}}
  - {path: a.yaml, overrides: {name: a-bis, observe: "2 s"}}
window: {days: [mon, funday], hours: "16:00-09:00", timezone: Mars/Olympus}
schedule: "61 * * * *"
notify: {webhook: "ftp://example"}
`})
		_, err := gameday.Load(dir + "/gd.yaml")
		Expect(err).To(HaveOccurred())
		msg := err.Error()
		f := dir + "/gd.yaml"
		Expect(msg).To(ContainSubstring(f + ":2:7: name: name \"Bad_Name\""))
		Expect(msg).To(ContainSubstring(f + ":5:5: experiments[1]: \"nothing-*.yaml\" matches no file"))
		Expect(msg).To(ContainSubstring(f + ":6:41: experiments[2].overrides.version: cannot override \"version\""))
		Expect(msg).To(MatchRegexp(`a\.yaml \(with overrides from .*gd\.yaml\):\d+:\d+: observe: bad duration "2 s"`))
		Expect(msg).To(ContainSubstring(f + ":8:22: window.days[1]: unknown day \"funday\""))
		Expect(msg).To(ContainSubstring(f + ":8:38: window.hours: hours \"16:00-09:00\": the end must be after the start"))
		Expect(msg).To(ContainSubstring(f + ":8:63: window.timezone: unknown time zone \"Mars/Olympus\""))
		Expect(msg).To(ContainSubstring(f + ":9:11: schedule: schedule \"61 * * * *\""))
		Expect(msg).To(ContainSubstring(f + ":10:19: notify.webhook"))
	})

	It("rejects unknown fields and wrong types with their position", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"a.yaml":  offline("a"),
			"gd.yaml": "version: 1\nname: x\nexperiments: [a.yaml]\nwindow:\n  dayz: [mon]\n",
			"t.yaml":  "version: 1\nname: x\nexperiments: [a.yaml]\nstopOnFailure: sometimes\n",
			"d.yaml":  "version: 1\nname: x\nexperiments: [a.yaml, a.yaml]\n",
			"r.yaml":  "version: 1\nname: x\nexperiments: [a.yaml]\nrequires:\n  - {name: db, tcp: {address: \"198.18.200.2:80\"}, for: 1s, color: red}\n",
			"e.yaml":  "version: 1\nname: x\nexperiments: [a.yaml]\nrequires:\n  - {name: db, for: 1s}\n",
		})
		_, err := gameday.Load(dir + "/gd.yaml")
		Expect(err).To(MatchError(ContainSubstring(dir + "/gd.yaml:5:3: window.dayz: unknown field \"dayz\"")))
		_, err = gameday.Load(dir + "/t.yaml")
		Expect(err).To(MatchError(ContainSubstring(dir + "/t.yaml:4:16: stopOnFailure: ")))
		_, err = gameday.Load(dir + "/d.yaml")
		Expect(err).To(MatchError(ContainSubstring("experiments[1]: experiment name \"a\"")))
		_, err = gameday.Load(dir + "/r.yaml")
		Expect(err).To(MatchError(ContainSubstring(dir + "/r.yaml:5:60: requires[0].color: unknown field \"color\"")))
		_, err = gameday.Load(dir + "/e.yaml")
		Expect(err).To(MatchError(ContainSubstring("requires[0]: want exactly one probe kind")))
	})
})

var _ = Describe("loading a game-day file with several kinds of mistakes", func() {
	It("reports decoding and semantic problems together, each once, at file:line:column with the field", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"a.yaml": offline("a"),
			"gd.yaml": `version: 1
name: Bad_Name
name: again
experiments: [a.yaml, 7, missing.yaml]
stopOnFailure: sometimes
cooldown: 5
window: {dayz: [mon]}
requires:
  - {name: db, on: hv-a, tcp: {address: "198.18.200.2:80"}, for: 1s}
`})
		f := dir + "/gd.yaml"
		_, err := gameday.Load(f)
		var list *experiments.ErrorList
		Expect(errors.As(err, &list)).To(BeTrue(), "%T: %v", err, err)
		msg := err.Error()
		Expect(msg).To(ContainSubstring(f + ":2:7: name: name \"Bad_Name\""))
		Expect(msg).To(ContainSubstring(f + ":3:1: name: duplicate field (first set at line 2)"))
		Expect(msg).To(ContainSubstring(f + ":4:23: experiments[1]: want a path or {path, overrides}, got an integer"))
		Expect(msg).To(ContainSubstring(f + ":4:26: experiments[2]: \"missing.yaml\" matches no file"))
		Expect(msg).To(ContainSubstring(f + ":5:16: stopOnFailure: want true or false, got a string"))
		Expect(msg).To(ContainSubstring(f + ":6:11: cooldown: bad duration 5: want a number with a unit"))
		Expect(msg).To(ContainSubstring(f + ":7:10: window.dayz: unknown field \"dayz\""))
		Expect(msg).To(ContainSubstring(f + ":9:16: requires[0].on: unknown field \"on\""))
		Expect(list.Errors).To(HaveLen(8), msg)
	})
})

var _ = Describe("windows and schedules", func() {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	load := func(window, schedule string) *gameday.GameDay {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{"a.yaml": offline("a"),
			"gd.yaml": "version: 1\nname: x\nexperiments: [a.yaml]\n" + window + schedule})
		gd, err := gameday.Load(dir + "/gd.yaml")
		Expect(err).NotTo(HaveOccurred())
		return gd
	}

	It("opens on the listed days and hours, in the window's time zone", func() {
		w := load("window: {days: [mon, tue], hours: \"09:00-16:00\", timezone: Europe/Berlin}\n", "").Window
		at := func(s string) time.Time {
			t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
			Expect(err).NotTo(HaveOccurred())
			return t
		}
		Expect(w.Contains(at("2025-06-02 09:00"))).To(BeTrue(), "Monday at the opening")
		Expect(w.Contains(at("2025-06-03 15:59"))).To(BeTrue(), "Tuesday before the close")
		Expect(w.Contains(at("2025-06-03 16:00"))).To(BeFalse(), "the end is exclusive")
		Expect(w.Contains(at("2025-06-02 08:59"))).To(BeFalse())
		Expect(w.Contains(at("2025-06-04 12:00"))).To(BeFalse(), "Wednesday")
		// 07:30 UTC is 09:30 in Berlin in summer: inside.
		Expect(w.Contains(time.Date(2025, 6, 2, 7, 30, 0, 0, time.UTC))).To(BeTrue())
		Expect(w.Contains(time.Date(2025, 6, 2, 6, 30, 0, 0, time.UTC))).To(BeFalse())
	})

	It("reads five-field specs in the window's zone and six-field specs with seconds", func() {
		gd := load("window: {timezone: Europe/Berlin}\n", "schedule: \"0 10 * * 2\"\n")
		next := gd.Schedule.Next(time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)) // a Monday
		Expect(next.In(berlin).Format("Mon 15:04")).To(Equal("Tue 10:00"))
		Expect(next.UTC().Hour()).To(Equal(8))

		gd = load("", "schedule: \"*/3 * * * * *\"\n")
		t0 := time.Date(2025, 6, 2, 12, 0, 1, 0, time.UTC)
		n1 := gd.Schedule.Next(t0)
		Expect(n1).To(Equal(time.Date(2025, 6, 2, 12, 0, 3, 0, time.UTC).In(n1.Location())))
		Expect(gd.Schedule.Next(n1).Sub(n1)).To(Equal(3 * time.Second))

		gd = load("", "schedule: \"@every 90s\"\n")
		Expect(gd.Schedule.Next(t0).Sub(t0)).To(Equal(90 * time.Second))
	})

	It("ranks exit codes 4 > 2 > 3 > 1 > 0", func() {
		Expect(gameday.Worst()).To(Equal(0))
		Expect(gameday.Worst(0, 0)).To(Equal(0))
		Expect(gameday.Worst(0, 1, 0)).To(Equal(1))
		Expect(gameday.Worst(1, 3, 0)).To(Equal(3))
		Expect(gameday.Worst(3, 2, 1)).To(Equal(2))
		Expect(gameday.Worst(2, 4, 3)).To(Equal(4))
	})
})

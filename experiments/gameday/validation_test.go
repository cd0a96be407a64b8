package gameday_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments/gameday"
)

var _ = Describe("game-day validation", func() {
	It("reports a bad cooldown at its position beside every other error, not instead of them", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"a.yaml":  offline("a"),
			"gd.yaml": "version: 1\nname: Bad_Name\ncooldown: -5s\nexperiments: [a.yaml, missing.yaml]\n",
			"h.yaml":  "version: 1\nname: x\ncooldown: 2000000h\nexperiments: [a.yaml]\n",
		})
		f := dir + "/gd.yaml"
		_, err := gameday.Load(f)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(f + ":3:11: cooldown: bad duration \"-5s\": must not be negative"))
		Expect(err.Error()).To(ContainSubstring(f + ":2:7: name: name \"Bad_Name\""))
		Expect(err.Error()).To(ContainSubstring(f + ":4:23: experiments[1]: \"missing.yaml\" matches no file"))

		_, err = gameday.Load(dir + "/h.yaml")
		Expect(err).To(MatchError(ContainSubstring(dir + "/h.yaml:3:11: cooldown: bad duration \"2000000h\": longer than the 30 days")))
	})

	It("refuses a required probe whose netns is not a plain name", func() {
		dir := writeFiles(GinkgoT().TempDir(), map[string]string{
			"a.yaml": offline("a"),
			"gd.yaml": "version: 1\nname: x\nexperiments: [a.yaml]\nrequires:\n" +
				"  - {name: db, tcp: {address: \"198.18.200.2:80\"}, netns: ../../proc/self/ns/net, for: 1s}\n",
		})
		_, err := gameday.Load(dir + "/gd.yaml")
		Expect(err).To(MatchError(ContainSubstring(`requires[0]: probe db: netns: bad namespace name "../../proc/self/ns/net"`)))
	})
})

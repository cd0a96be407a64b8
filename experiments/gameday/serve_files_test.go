package gameday_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments/gameday"
)

var _ = Describe("the game-day server's files", func() {
	It("serves report files only: no journals, no logs, no listings, no links out of the history", func() {
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: files
experiments: [quiet.yaml]
schedule: "0 3 * * *"
`, map[string]string{"quiet.yaml": `version: 1
name: quiet
probes:
  self: {tcp: {address: "198.18.0.1:1", timeout: 10ms}}
steps:
  - {name: cut, fault: link.down, with: {netns: fl-nowhere, link: eth0}}
`})
		history := filepath.Join(dir, "history")
		run := filepath.Join(history, "files-1", "01-quiet")
		Expect(os.MkdirAll(run, 0o700)).To(Succeed())
		for _, f := range []string{"report.html", "report.json", "summary.md", "junit.xml", "journal.jsonl", "guard.log"} {
			Expect(os.WriteFile(filepath.Join(run, f), []byte("content of "+f), 0o600)).To(Succeed())
		}
		Expect(os.WriteFile(filepath.Join(history, "files-1", "index.html"), []byte("index"), 0o600)).To(Succeed())
		secret := filepath.Join(dir, "secret.html")
		Expect(os.WriteFile(secret, []byte("outside"), 0o600)).To(Succeed())
		Expect(os.Symlink(secret, filepath.Join(run, "summary.json"))).To(Succeed())
		Expect(os.Symlink(filepath.Join(dir), filepath.Join(history, "up"))).To(Succeed())

		srv, err := gameday.NewServer(gd, gameday.ServeOptions{HistoryDir: history, StateDir: GinkgoT().TempDir()})
		Expect(err).NotTo(HaveOccurred())
		hs := httptest.NewServer(srv.Handler())
		DeferCleanup(hs.Close)

		for _, f := range []string{"report.html", "report.json", "summary.md", "junit.xml"} {
			code, body := get(hs.URL + "/files-1/01-quiet/" + f)
			Expect(code).To(Equal(200), f)
			Expect(body).To(Equal("content of " + f))
		}
		code, body := get(hs.URL + "/files-1/index.html")
		Expect(code).To(Equal(200))
		Expect(body).To(Equal("index"))
		for _, p := range []string{
			"/files-1/01-quiet/journal.jsonl", "/files-1/01-quiet/guard.log",
			"/files-1/", "/files-1/01-quiet/", "/files-1", // listings
			"/files-1/01-quiet/summary.json",                    // a link out of the history
			"/up/secret.html", "/up/history/files-1/index.html", // through a linked folder
			"/files-1/01-quiet/../../../secret.html",
		} {
			code, body := get(hs.URL + p)
			Expect(code).To(Equal(404), p)
			Expect(body).NotTo(ContainSubstring("content of"), p)
			Expect(body).NotTo(ContainSubstring("outside"), p)
		}
	})
})

var _ = Describe("the game-day server's connections", func() {
	It("time out reads, writes and idle keep-alives", func() {
		dir := GinkgoT().TempDir()
		gd := loadGD(dir, `version: 1
name: timeouts
experiments: [quiet.yaml]
schedule: "0 3 * * *"
`, map[string]string{"quiet.yaml": `version: 1
name: quiet
probes:
  self: {tcp: {address: "198.18.0.1:1", timeout: 10ms}}
steps:
  - {name: cut, fault: link.down, with: {netns: fl-nowhere, link: eth0}}
`})
		srv, err := gameday.NewServer(gd, gameday.ServeOptions{HistoryDir: dir, StateDir: GinkgoT().TempDir()})
		Expect(err).NotTo(HaveOccurred())
		hs := srv.HTTPServer()
		Expect(hs.ReadHeaderTimeout).To(BeNumerically(">", 0))
		Expect(hs.ReadTimeout).To(BeNumerically(">", 0))
		Expect(hs.WriteTimeout).To(BeNumerically(">", 0))
		Expect(hs.IdleTimeout).To(BeNumerically(">", 0))
	})
})

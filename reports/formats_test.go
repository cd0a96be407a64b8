package reports_test

import (
	"bytes"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/reports"
)

var _ = Describe("the table of report formats", func() {
	var rep *reports.Report
	BeforeEach(func() {
		run, err := journal.ReadFile(goldenJournal(GinkgoT().TempDir()))
		Expect(err).NotTo(HaveOccurred())
		rep = reports.Build(run)
	})

	It("writes one file per format for a run, each what its renderer writes", func() {
		dir := GinkgoT().TempDir()
		names, err := reports.WriteFiles(dir, rep, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(Equal([]string{"report.json", "junit.xml", "summary.md", "report.html"}))
		for _, f := range reports.Formats() {
			var b bytes.Buffer
			Expect(f.Write(&b, rep, reports.Options{})).To(Succeed())
			data, err := os.ReadFile(filepath.Join(dir, f.File))
			Expect(err).NotTo(HaveOccurred())
			if f.Name != "html" { // the page stamps nothing variable but is large; compare the rest byte for byte
				Expect(data).To(Equal(b.Bytes()), f.Name)
			}
			Expect(f.ContentType).NotTo(BeEmpty())
		}
	})

	It("finds formats by name or alias, names the known ones otherwise, and says which cannot show a baseline", func() {
		f, err := reports.LookupFormat("md")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Name).To(Equal("markdown"))
		_, err = reports.LookupFormat("pdf")
		Expect(err).To(MatchError(`unknown format "pdf" (json, junit, markdown, html)`))
		j, _ := reports.LookupFormat("junit")
		cmp := reports.Compare(rep, rep)
		Expect(j.Write(&bytes.Buffer{}, rep, reports.Options{Baseline: cmp})).To(MatchError(reports.ErrNoBaseline))
		m, _ := reports.LookupFormat("markdown")
		var b bytes.Buffer
		Expect(m.Write(&b, rep, reports.Options{Baseline: cmp})).To(Succeed())
		Expect(b.String()).To(ContainSubstring("### Compared with baseline"))
	})
})

package journal_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
)

var _ = Describe("journal: a torn line", func() {
	var p string
	BeforeEach(func() {
		p = filepath.Join(GinkgoT().TempDir(), "torn.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		u := faults.Undo{Kind: "link.down", Params: []byte(`{"link":"a"}`)}
		Expect(w.Step(journal.StepRec{Step: "one", Ev: journal.EvPrepared, Undo: &u, Revert: "auto"})).To(Succeed())
		Expect(w.Close()).To(Succeed())
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteString(`{"t":"step","step":"one","ev":"injec`) // the writer died here
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Close()).To(Succeed())
	})

	It("gets a line of its own when a record is appended after it, and is skipped and reported", func() {
		for i := 0; i < 3; i++ { // recover, then recover again, then the guard
			Expect(journal.AppendStep(p, journal.StepRec{Step: "one", Ev: journal.EvReverted, At: -1, By: "recover"})).To(Succeed())
		}
		b, err := os.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(ContainSubstring("\"ev\":\"injec\n{\"t\":\"step\""))
		run, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Torn).To(Equal(1))
		Expect(run.Warnings).To(ConsistOf(ContainSubstring("line 3 skipped")))
		Expect(run.OpenUndos()).To(BeEmpty())
	})

	It("is reported when it is the last line", func() {
		run, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Truncated).To(BeTrue())
		Expect(run.Torn).To(Equal(1))
		Expect(run.OpenUndos()).To(HaveLen(1))
	})

	It("is an error when records other than appended steps follow it, or a second bad line does", func() {
		Expect(journal.AppendStep(p, journal.StepRec{Step: "one", Ev: journal.EvReverted, At: -1, By: "recover"})).To(Succeed())
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteString(`{"t":"end","status":"passed"}` + "\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Close()).To(Succeed())
		_, err = journal.ReadFile(p)
		Expect(err).To(MatchError(ContainSubstring("line 3")))
	})
})

var _ = Describe("journal: permissions", func() {
	It("is created 0600 in a directory created 0700", func() {
		d := filepath.Join(GinkgoT().TempDir(), "out", "run")
		p := filepath.Join(d, "journal.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		Expect(w.End(time.Second, journal.StatusPassed, 0, "")).To(Succeed())
		st, err := os.Stat(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		st, err = os.Stat(d)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)))
		_, err = journal.ReadTrusted(p)
		Expect(err).NotTo(HaveOccurred())
	})

	It("is refused for recovery when others may write it, owned by another user, or a symbolic link", func() {
		d := GinkgoT().TempDir()
		p := filepath.Join(d, "journal.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		Expect(w.Close()).To(Succeed())

		Expect(os.Chmod(p, 0o622)).To(Succeed())
		_, err = journal.ReadTrusted(p)
		Expect(err).To(MatchError(journal.ErrUntrustedFile))
		Expect(err).To(MatchError(ContainSubstring(p)))

		Expect(os.Chmod(p, 0o600)).To(Succeed())
		Expect(os.Chown(p, 65534, 65534)).To(Succeed())
		_, err = journal.ReadTrusted(p)
		Expect(err).To(MatchError(ContainSubstring("owned by uid 65534")))

		Expect(os.Chown(p, 0, 0)).To(Succeed())
		l := filepath.Join(d, "link.jsonl")
		Expect(os.Symlink(p, l)).To(Succeed())
		_, err = journal.ReadTrusted(l)
		Expect(err).To(MatchError(journal.ErrUntrustedFile))
		_, err = journal.ReadTrusted(p)
		Expect(err).NotTo(HaveOccurred())
	})
})

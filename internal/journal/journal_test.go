package journal_test

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/verify"
)

func header() journal.Header {
	return journal.Header{Run: "r1", Experiment: &experiments.Experiment{Version: 1, Name: "x"}, Wall: time.Now()}
}

// randomSamples makes n samples every `every` with jitter, failures and details.
func randomSamples(rng *rand.Rand, n int, every time.Duration) []measure.Sample {
	out := make([]measure.Sample, n)
	t := time.Duration(rng.Intn(1000)) * time.Microsecond
	for i := range out {
		t += every + time.Duration(rng.Intn(300)-100)*time.Microsecond
		s := measure.Sample{Start: t.Truncate(time.Microsecond), OK: rng.Intn(10) > 1,
			Latency: time.Duration(rng.Intn(5000)) * time.Microsecond, Value: 200}
		if !s.OK {
			s.Value = float64([]int{0, 503}[rng.Intn(2)])
			s.Detail = []string{"timeout", "connection refused"}[rng.Intn(2)]
		}
		out[i] = s
	}
	return out
}

var _ = Describe("journal", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("reads back every sample exactly (to the microsecond) with its ok, value and latency", func() {
		rng := rand.New(rand.NewSource(7))
		w, err := journal.Create(filepath.Join(dir, "j.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		w.SetInterval("web", 5*time.Millisecond)
		in := randomSamples(rng, 3000, 5*time.Millisecond)
		for _, s := range in {
			w.Sample("web", s)
		}
		Expect(w.End(20*time.Second, journal.StatusPassed, 0, "")).To(Succeed())
		run, err := journal.ReadFile(w.Path())
		Expect(err).NotTo(HaveOccurred())
		out := run.Samples["web"]
		Expect(out).To(HaveLen(len(in)))
		for i := range in {
			Expect(out[i].Start).To(Equal(in[i].Start), "sample %d", i)
			Expect(out[i].OK).To(Equal(in[i].OK))
			Expect(out[i].Value).To(Equal(in[i].Value))
			Expect(out[i].Latency).To(Equal(in[i].Latency))
			if !in[i].OK && (i == 0 || in[i-1].OK) {
				// The first failure of a run always keeps its detail.
				Expect(out[i].Detail).To(Equal(in[i].Detail))
			}
		}
		Expect(run.End.Status).To(Equal(journal.StatusPassed))
	})

	It("tolerates a torn last line (a killed writer) and finds open undo records", func() {
		var buf bytes.Buffer
		p := filepath.Join(dir, "j.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		u1 := faults.Undo{Kind: "link.down", Params: []byte(`{"link":"a"}`)}
		u2 := faults.Undo{Kind: "link.down", Params: []byte(`{"link":"b"}`)}
		Expect(w.Step(journal.StepRec{Step: "one", Ev: journal.EvPrepared, Undo: &u1, Revert: "auto"})).To(Succeed())
		Expect(w.Step(journal.StepRec{Step: "one", Ev: journal.EvInjected, At: time.Second})).To(Succeed())
		Expect(w.Step(journal.StepRec{Step: "two", Ev: journal.EvPrepared, Undo: &u2, Revert: "auto"})).To(Succeed())
		Expect(w.Step(journal.StepRec{Step: "one", Ev: journal.EvReverted, At: 2 * time.Second})).To(Succeed())
		Expect(w.Close()).To(Succeed())
		data, _ := os.ReadFile(p)
		buf.Write(data)
		buf.WriteString(`{"t":"s","p":"web","s":3,"i":5000,"d":[1,`) // torn
		run, err := journal.Read(&buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Truncated).To(BeTrue())
		open := run.OpenUndos()
		Expect(open).To(HaveLen(1))
		Expect(open[0].Step).To(Equal("two"))
		tl := verify.TimelineOf(run)
		Expect(tl.Steps["one"].Injected).To(BeTrue())
		Expect(tl.Steps["one"].Revert).To(Equal(2 * time.Second))

		Expect(journal.AppendStep(p, journal.StepRec{Step: "two", Ev: journal.EvReverted, At: -1, By: "recover"})).To(Succeed())
		run, err = journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.OpenUndos()).To(BeEmpty())
	})

	It("rejects a corrupt line in the middle with its line number", func() {
		p := filepath.Join(dir, "bad.jsonl")
		Expect(os.WriteFile(p, []byte(`{"t":"run","run":"x","format":1}`+"\n{oops\n"+`{"t":"end","status":"passed"}`+"\n"), 0o644)).To(Succeed())
		_, err := journal.ReadFile(p)
		Expect(err).To(MatchError(ContainSubstring("line 2")))
	})

	It("is readable while being written: complete lines only", func() {
		p := filepath.Join(dir, "live.jsonl")
		w, err := journal.Create(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Header(header())).To(Succeed())
		w.SetInterval("web", time.Millisecond)
		for i := 0; i < 2500; i++ {
			w.Sample("web", measure.Sample{Start: time.Duration(i) * time.Millisecond, OK: true, Value: 1})
		}
		Expect(w.Flush()).To(Succeed())
		run, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		// Seconds 0 and 1 are complete; second 2 is still being filled.
		Expect(run.Samples["web"]).To(HaveLen(2000))
		Expect(w.End(3*time.Second, journal.StatusPassed, 0, "")).To(Succeed())
	})
})

package engine_test

import (
	"context"
	"encoding/json"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
)

// missingFault's target does not exist (yet); makeAction could create it.
type missingFault struct{}

func (missingFault) Describe() string { return "fault on a target that is missing" }
func (missingFault) Targets() []faults.Target {
	return []faults.Target{{Kind: "domain", ID: "test/ghost"}}
}
func (missingFault) Prepare(context.Context) (faults.Undo, error) {
	return faults.Undo{Kind: "test.missing"}, nil
}
func (missingFault) Inject(context.Context) error { return nil }
func (missingFault) Revert(context.Context) error { return nil }
func (missingFault) Preflight(context.Context) error {
	return fmt.Errorf("domain ghost: %w", faults.ErrNotFound)
}

type makeAction struct{}

func (makeAction) Describe() string                           { return "make the target" }
func (makeAction) Targets() []faults.Target                   { return nil }
func (makeAction) Run(context.Context) (faults.Result, error) { return nil, nil }

func init() {
	faults.Register(faults.Kind{Name: "test.missing",
		NewFault: func(json.RawMessage) (faults.Fault, error) { return missingFault{}, nil },
		Revert:   func(context.Context, json.RawMessage) error { return nil }})
	faults.Register(faults.Kind{Name: "test.make",
		NewAction: func(json.RawMessage) (faults.Action, error) { return makeAction{}, nil }})
}

var _ = Describe("preflight", func() {
	plan := func(steps string) *engine.Plan {
		exp, err := experiments.Parse("p.yaml", []byte("version: 1\nname: p\nsteps:\n"+steps))
		Expect(err).NotTo(HaveOccurred())
		p, err := engine.NewPlan(exp, "p")
		Expect(err).NotTo(HaveOccurred())
		return p
	}
	It("refuses a missing target, naming the file, line and step", func() {
		p := plan("  - {name: hit, fault: test.missing}\n")
		err := p.Preflight(context.Background())
		Expect(err).To(MatchError(ContainSubstring("p.yaml:4: step hit (test.missing): domain ghost: not found")))
	})
	It("only warns when an earlier action may create the target", func() {
		p := plan("  - {name: make, action: test.make}\n  - {name: hit, fault: test.missing, wait: 1s}\n")
		Expect(p.Preflight(context.Background())).To(Succeed())
		Expect(p.Warnings).To(ConsistOf(ContainSubstring("step hit (test.missing)")))
	})
})

var _ = Describe("preflight of probes", func() {
	It("refuses a probe in a namespace that does not exist, naming the probe and the namespace", func() {
		ns := "fl-nope-" + randSuffix()
		src := fmt.Sprintf("version: 1\nname: p\nprobes:\n  web: {tcp: {address: \"198.18.0.1:80\"}, netns: %s}\n"+
			"steps:\n  - {name: make, action: test.make}\n", ns)
		exp, err := experiments.Parse("p.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		p, err := engine.NewPlan(exp, "p")
		Expect(err).NotTo(HaveOccurred())
		err = p.Preflight(context.Background())
		Expect(err).To(MatchError(engine.ErrPlan))
		Expect(err.Error()).To(ContainSubstring("p.yaml: probe web: netns " + ns + " does not exist"))
	})
})

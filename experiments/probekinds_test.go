package experiments_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/internal/probes"
)

// gopherParams is a probe kind added the way a new one is: one
// registration, nothing else in experiments.
type gopherParams struct {
	Hole  string          `json:"hole" required:"true" doc:"Which hole to watch."`
	Depth int             `json:"depth,omitempty" min:"1"`
	Every probes.Duration `json:"patience,omitempty"`
}

func init() {
	probes.Register(probes.Kind{
		Name:     "gopher",
		Doc:      "watches a hole",
		Value:    probes.ValueCount,
		Params:   gopherParams{},
		MinEvery: 10 * 1000 * 1000, // 10ms
		New: func(d probes.Def) (probes.Prober, error) {
			var p gopherParams
			if err := probes.DecodeParams(d.Params, &p); err != nil {
				return nil, err
			}
			if p.Hole == "" {
				return nil, probes.Errorf("hole", "missing: which hole")
			}
			return probes.ProberFunc(func(context.Context) probes.Sample { return probes.Sample{OK: true} }), nil
		},
	})
}

var _ = Describe("a probe kind from the registry", func() {
	const head = "version: 1\nname: e\nprobes:\n"

	It("is a key of its own on a probe, its parameters checked by the kind, errors at their positions", func() {
		e, err := experiments.Parse("g.yaml", []byte(head+"  g: {gopher: {hole: north, depth: 3}, every: 50ms}\nverify:\n  - {probe: g, maxOutage: 1s}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(e.Probes["g"].Kind).To(Equal("gopher"))
		Expect(e.Probes["g"].With).To(HaveKeyWithValue("hole", "north"))

		_, err = experiments.Parse("g.yaml", []byte(head+"  g: {gopher: {depth: deep}}\n"))
		Expect(err).To(MatchError(`g.yaml:4:23: probes.g.gopher.depth: want an integer, got string`))
		_, err = experiments.Parse("g.yaml", []byte(head+"  g: {gopher: {depth: 2}}\n"))
		Expect(err).To(MatchError(`g.yaml:4:15: probes.g.gopher.hole: missing: which hole`))
		_, err = experiments.Parse("g.yaml", []byte(head+"  g: {gopher: {hole: a, colour: red}}\n"))
		Expect(err).To(MatchError(ContainSubstring(`g.yaml:4:25: probes.g.gopher.colour: unknown field "colour"`)))
		_, err = experiments.Parse("g.yaml", []byte(head+"  g: {gopher: {hole: a}, every: 5ms}\n"))
		Expect(err).To(MatchError(ContainSubstring(`probes.g.every: must be at least 10ms`)))
		_, err = experiments.Parse("g.yaml", []byte(head+"  g: {gophr: {hole: a}}\n"))
		Expect(err).To(MatchError(ContainSubstring(`unknown field "gophr" (known: every, netns, on, exec, gopher, http, libvirt, prometheus, tcp)`)))
	})

	It("has its part of the JSON Schema generated from its parameter struct", func() {
		s := loadSchema()
		g := s["$defs"].(jsonObject)[experiments.ProbeKindDef("gopher")].(jsonObject)
		Expect(g["required"]).To(Equal([]any{"hole"}))
		Expect(g["description"]).To(Equal("watches a hole (value: count)"))
		props := g["properties"].(jsonObject)
		Expect(props["patience"]).To(Equal(jsonObject{"$ref": "#/$defs/duration"}))
		Expect(props["depth"]).To(HaveKeyWithValue("minimum", 1.0))
		probe := s["$defs"].(jsonObject)["probe"].(jsonObject)
		Expect(probe["oneOf"]).To(ContainElement(jsonObject{"required": []any{"gopher"}}))
		step := s["$defs"].(jsonObject)["step"].(jsonObject)["properties"].(jsonObject)
		Expect(step["fault"].(jsonObject)["enum"]).To(ContainElement("test.fault"))
		Expect(step["action"].(jsonObject)["enum"]).To(ContainElement("test.action"))
		// A fault or action kind that declares its parameter struct gets its `with` described, with the kind's doc.
		conds := s["$defs"].(jsonObject)["step"].(jsonObject)["allOf"].([]any)
		Expect(conds).To(ContainElement(HaveKeyWithValue("then", jsonObject{"properties": jsonObject{"with": jsonObject{
			"type": []any{"object", "null"}, "additionalProperties": false, "description": "an action that needs a domain",
			"properties": jsonObject{"uri": jsonObject{"type": "string"}, "domain": jsonObject{"type": "string"}, "defineFrom": jsonObject{"type": "string"}},
		}}})))
	})

	It("can be an abort condition written inline, which becomes a probe of its own and survives the journal's JSON", func() {
		src := head + "  web: {tcp: {address: \"198.18.0.1:80\"}}\nverify:\n  - {probe: web, maxOutage: 1s}\nabortWhen:\n  - {prometheus: {url: \"http://198.18.0.9:9090\", query: \"up == 0\"}, for: 30s, every: 1s}\n"
		e, err := experiments.Parse("a.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		Expect(e.AbortWhen[0].Probe).To(Equal("abortWhen[0]"))
		p := e.Probes["abortWhen[0]"]
		Expect(p).NotTo(BeNil())
		Expect(p.Kind).To(Equal("prometheus"))
		Expect(p.Interval().Seconds()).To(Equal(1.0))
		Expect(e.ProbeOrder).To(Equal([]string{"web", "abortWhen[0]"}))

		b, err := json.Marshal(e)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(ContainSubstring(`"prometheus":{"query":"up == 0","url":"http://198.18.0.9:9090"}`))
		var back experiments.Experiment
		Expect(json.Unmarshal(b, &back)).To(Succeed())
		Expect(back.Probes["web"].Kind).To(Equal("tcp"))
		Expect(back.AbortWhen[0].Kind).To(Equal("prometheus"))
		Expect(back.AbortWhen[0].For.D().Seconds()).To(Equal(30.0))
		Expect(back.Validate()).To(Succeed())

		_, err = experiments.Parse("a.yaml", []byte(head+"  web: {tcp: {address: \"a:1\"}}\nabortWhen:\n  - {prometheus: {url: \"http://h:9090\", query: \"up\"}, for: 30s, every: 500ms}\n"))
		Expect(err).To(MatchError(ContainSubstring("abortWhen[0].every: must be at least 1s")))
		_, err = experiments.Parse("a.yaml", []byte(head+"  web: {tcp: {address: \"a:1\"}}\nabortWhen:\n  - {prometheus: {url: \"http://h:9090\"}, for: 30s}\n"))
		Expect(err).To(MatchError(ContainSubstring("abortWhen[0].prometheus.query: missing")))
		_, err = experiments.Parse("a.yaml", []byte(head+"  web: {tcp: {address: \"a:1\"}}\nabortWhen:\n  - {probe: web, prometheus: {url: \"http://h:9090\", query: up}, for: 30s}\n"))
		Expect(err).To(MatchError(ContainSubstring("abortWhen[0].probe: set only one of probe and a probe kind")))
		_, err = experiments.Parse("a.yaml", []byte(head+"  web: {tcp: {address: \"a:1\"}}\nabortWhen:\n  - {probe: web, for: 2s, outageLongerThan: 3s}\n"))
		Expect(err).To(MatchError(ContainSubstring("set only one of outageLongerThan, availabilityBelow, for")))
	})
})

package experiments_test

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/faultline/faultline/faults"
)

// Fake kinds: the format only needs names and parameter validation from
// the registry, so the specs register kinds of their own.

type testFaultParams struct {
	URI    string `json:"uri"`
	Period string `json:"period,omitempty"`
	Count  int    `json:"count,omitempty"`
}

type testFault struct{ p testFaultParams }

func (f *testFault) Describe() string         { return "test fault on " + f.p.URI }
func (f *testFault) Targets() []faults.Target { return []faults.Target{{Kind: "test", ID: f.p.URI}} }
func (f *testFault) Prepare(context.Context) (faults.Undo, error) {
	return faults.Undo{Kind: "test.fault"}, nil
}
func (f *testFault) Inject(context.Context) error                { return nil }
func (f *testFault) Revert(context.Context) error                { return nil }
func (a *testAction) Describe() string                           { return "test action on " + a.p.Domain }
func (a *testAction) Targets() []faults.Target                   { return nil }
func (a *testAction) Run(context.Context) (faults.Result, error) { return faults.Result{}, nil }

type testActionParams struct {
	URI        string `json:"uri"`
	Domain     string `json:"domain"`
	DefineFrom string `json:"defineFrom,omitempty"`
}

type testAction struct{ p testActionParams }

func newTestFault(params json.RawMessage) (faults.Fault, error) {
	var p testFaultParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	if p.URI == "" {
		return nil, errors.New("uri: missing")
	}
	if p.Period != "" {
		d, err := time.ParseDuration(p.Period)
		if err != nil || d <= 0 {
			return nil, errors.New("period: want a positive duration")
		}
	}
	return &testFault{p}, nil
}

func newTestAction(params json.RawMessage) (faults.Action, error) {
	var p testActionParams
	if err := faults.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	if p.Domain == "" {
		return nil, errors.New("domain: missing")
	}
	return &testAction{p}, nil
}

func init() {
	faults.Register(faults.Kind{
		Name:     "test.fault",
		Doc:      "a fault that validates uri, period and count",
		NewFault: newTestFault,
		Revert:   func(context.Context, json.RawMessage) error { return nil },
	})
	faults.Register(faults.Kind{
		Name:      "test.action",
		Doc:       "an action that needs a domain",
		Params:    testActionParams{},
		NewAction: newTestAction,
	})
	faults.Register(faults.Kind{
		Name: "test.panics",
		Doc:  "a constructor with a bug",
		NewFault: func(json.RawMessage) (faults.Fault, error) {
			panic("constructor bug")
		},
		Revert: func(context.Context, json.RawMessage) error { return nil },
	})
}

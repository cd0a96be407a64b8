package experiments_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
)

// parseBound is how long any input may take; real files parse in microseconds.
const parseBound = 2 * time.Second

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/kill-server-a.yaml"); err == nil {
		f.Add(b)
	}
	for _, seed := range []string{
		"",
		"version: 1\nname: tiny\nprobes:\n  db: {tcp: {address: \"127.0.0.1:1\"}}\nsteps:\n  - {name: s, fault: test.fault, with: {uri: x}}\n",
		"version: 1\nname: e\nprobes:\n  a: {libvirt: {uris: &u [x], domains: \"w*\"}}\n  b: {libvirt: {uris: *u, domains: d}}\n",
		"version: 2\nname: Bad\nobserve: 2 s\nsteps: [{name: a, action: test.action, duration: 3s}]\n",
		"version: 1\nname: e\nverify:\n  - {probe: web, reaches: ok, within: 5s, after: a.end}\n  - {probe: web, latency: {p99.9: \"< 1ms\"}}\n",
		"version: 1\nname: e\nsafety:\n  <<: {maxTargets: 1}\nx: !!str 1\ny: !custom z\n",
		"version: 1\n---\nname: e\n",
		"a: [1, 2\n",
		"? [a]\n: b\n",
		"steps:\n  - name: a\n    fault: test.fault\n    with:\n      uri: u\n      count: .nan\n      perod: 1s\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			e   *experiments.Experiment
			err error
		}
		done := make(chan result, 1)
		go func() {
			e, err := experiments.Parse("fuzz.yaml", data)
			done <- result{e, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(parseBound):
			t.Fatalf("Parse did not return within %s on %q", parseBound, data)
		}
		e, err := r.e, r.err
		if err == nil {
			if e == nil {
				t.Fatal("no error and no experiment")
			}
			if verr := e.Validate(); verr != nil {
				t.Fatalf("Parse accepted what Validate rejects: %v", verr)
			}
			return
		}
		if e != nil {
			t.Fatal("an experiment returned with errors")
		}
		var list *experiments.ErrorList
		if !errors.As(err, &list) || len(list.Errors) == 0 {
			t.Fatalf("want a non-empty *ErrorList, got %T %v", err, err)
		}
		for _, fe := range list.Errors {
			if fe.Line < 1 || fe.Column < 1 {
				t.Fatalf("error without a position: %#v", fe)
			}
			if strings.Contains(fe.Msg, "internal error") {
				t.Fatalf("Parse panicked: %s", fe.Msg)
			}
		}
	})
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/session"
)

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:      "inject",
		Usage:     "inject one fault now, guarded and journaled like a run; reverted at --for, on Ctrl-C or by recover",
		ArgsUsage: "KIND",
		Action:    injectCmd,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "list", Usage: "list the fault kinds and their parameters"},
			&cli.StringSliceFlag{Name: "with", Aliases: []string{"w"}, Usage: "a parameter of the fault, KEY=VALUE (YAML value: 10, true, [a, b]); repeat it"},
			&cli.StringFlag{Name: "netns", Usage: "the network namespace of the fault (its `netns` parameter)"},
			&cli.DurationFlag{Name: "for", Usage: "revert after this long (default: hold until Ctrl-C, at most 24h)"},
			&cli.StringFlag{Name: "on", Usage: "the hosts to inject on, over SSH: a name, a glob or group:NAME of --inventory"},
			&cli.StringFlag{Name: "inventory", Usage: "the Ansible inventory (YAML or INI) --on names hosts of"},
			&cli.StringSliceFlag{Name: "probe", Usage: "probe while the fault holds: http://…, https://… or tcp://HOST:PORT; repeat it"},
			&cli.StringFlag{Name: "probe-netns", Usage: "run the probes in this network namespace"},
			&cli.DurationFlag{Name: "every", Value: 50 * time.Millisecond, Usage: "probe interval"},
			&cli.StringFlag{Name: "out", Usage: "directory for the journal and reports (default ./faultline-runs/RUN)"},
			&cli.BoolFlag{Name: "no-progress", Usage: "plain event lines even on a terminal"},
		},
	})
}

// maxHold bounds an inject without --for: observe may not be endless.
const maxHold = 24 * time.Hour

func injectCmd(c *cli.Context) error {
	measure.Stage("command")
	if c.Bool("list") {
		return listKinds()
	}
	if c.NArg() != 1 {
		return invalid(errors.New("inject: name exactly one fault kind (faultline inject --list shows them)"))
	}
	kind := c.Args().First()
	exp, err := injectExperiment(c, kind)
	if err != nil {
		return invalid(err)
	}
	runID := session.NewRunID(exp.Name)
	hosts, err := connectHosts(c, exp, runID)
	if err != nil {
		return invalid(err)
	}
	defer closeHosts(hosts)
	measure.Stage("experiment built")
	plan, err := engine.NewPlanOn(c.Context, exp, runID, hosts)
	measure.Stage("planned")
	if err != nil {
		return invalid(err)
	}
	if err := preflight(c, plan); err != nil {
		return err
	}
	measure.Stage("preflight passed")
	out := c.String("out")
	if out == "" {
		out = filepath.Join("faultline-runs", runID)
	}
	hold := "until Ctrl-C (at most 24h)"
	if d := c.Duration("for"); d > 0 {
		hold = "for " + d.String()
	}
	before := func() {
		fmt.Printf("injecting %s, held %s (run %s, journal %s)\n", plan.Steps[0].Describe(), hold,
			runID, filepath.Join(out, "journal.jsonl"))
		fmt.Printf("if this process dies, its guard reverts within %s; by hand: faultline --state-dir %s recover\n",
			session.GuardTTL(exp), c.String("state-dir"))
	}
	return runSession(c, plan, runID, out, before)
}

// injectExperiment is the experiment of one step that inject runs, built
// as the format's text so that the strict loader checks it like a file.
func injectExperiment(c *cli.Context, kind string) (*experiments.Experiment, error) {
	k, ok := faults.Lookup(kind)
	if !ok || k.NewFault == nil {
		return nil, fmt.Errorf("inject: %q is not a fault kind (faultline inject --list shows them)", kind)
	}
	with := map[string]any{}
	for _, kv := range c.StringSlice("with") {
		key, val, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("inject: --with %q: want KEY=VALUE", kv)
		}
		var v any
		if err := yaml.Unmarshal([]byte(val), &v); err != nil || v == nil {
			v = val
		}
		with[key] = v
	}
	if ns := c.String("netns"); ns != "" {
		with["netns"] = ns
	}
	name := strings.NewReplacer(".", "-", "_", "-").Replace(strings.ToLower(kind))
	step := map[string]any{"name": name, "fault": kind, "with": with}
	observe := "0s"
	if d := c.Duration("for"); d > 0 {
		step["duration"] = d.String()
	} else {
		observe = maxHold.String()
	}
	doc := map[string]any{"version": 1, "name": "inject-" + name, "steps": []any{step}, "observe": observe,
		"description": "faultline inject " + kind}
	probesDef := map[string]any{}
	for i, p := range c.StringSlice("probe") {
		def, err := probeDef(p)
		if err != nil {
			return nil, err
		}
		def["every"] = c.Duration("every").String()
		if ns := c.String("probe-netns"); ns != "" {
			def["netns"] = ns
		}
		probesDef[fmt.Sprintf("probe-%d", i+1)] = def
	}
	if len(probesDef) > 0 {
		doc["probes"] = probesDef
	}
	if on := c.String("on"); on != "" {
		step["on"] = on
		inv := c.String("inventory")
		if inv == "" {
			return nil, fmt.Errorf("inject: --on %s: name the hosts' --inventory", on)
		}
		abs, err := filepath.Abs(inv)
		if err != nil {
			return nil, err
		}
		doc["inventory"] = abs
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return experiments.Parse("inject "+kind, data)
}

func probeDef(s string) (map[string]any, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("inject: --probe %q: %w", s, err)
	}
	timeout := "1s"
	switch u.Scheme {
	case "http", "https":
		return map[string]any{"http": map[string]any{"url": s, "timeout": timeout}}, nil
	case "tcp":
		return map[string]any{"tcp": map[string]any{"address": u.Host, "timeout": timeout}}, nil
	}
	return nil, fmt.Errorf("inject: --probe %q: want http://…, https://… or tcp://HOST:PORT", s)
}

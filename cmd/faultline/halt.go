package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/session"
)

func init() {
	extraCommands = append(extraCommands,
		&cli.Command{Name: "halt", Usage: "emergency stop: every live run reverts and aborts; nothing starts until unhalt",
			Action: haltCmd,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "reason", Usage: "why (shown to every refused run and on the game-day page)"},
				&cli.DurationFlag{Name: "wait", Value: 2 * time.Second, Usage: "how long to wait for the live runs to end"},
			}},
		&cli.Command{Name: "unhalt", Usage: "lift the emergency stop: runs and game days may start again", Action: unhaltCmd},
	)
}

// liveRuns are the runs registered in the state directory (a run
// unregisters at its end; a dead run stays until recovered).
func liveRuns(stateDir string) []string {
	paths, _ := filepath.Glob(filepath.Join(engine.ActiveDir(stateDir), "*.jsonl"))
	runs := make([]string, 0, len(paths))
	for _, p := range paths {
		runs = append(runs, strings.TrimSuffix(filepath.Base(p), ".jsonl"))
	}
	sort.Strings(runs)
	return runs
}

func haltCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return invalid(fmt.Errorf("halt: unexpected argument %q (quote a reason: --reason \"...\")", c.Args().First()))
	}
	state := c.String("state-dir")
	live := liveRuns(state)
	start := time.Now()
	h, err := session.SetHalt(state, c.String("reason"))
	if err != nil {
		return cli.Exit(err.Error(), exitcode.Infra)
	}
	fmt.Printf("%s\n", h)
	if len(live) == 0 {
		fmt.Println("no live runs; no run or game-day experiment starts until `faultline unhalt`")
		return nil
	}
	fmt.Printf("stopping %d live runs: %s\n", len(live), strings.Join(live, ", "))
	deadline := start.Add(c.Duration("wait"))
	left := live
	for len(left) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		now := map[string]bool{}
		for _, r := range liveRuns(state) {
			now[r] = true
		}
		var still []string
		for _, r := range left {
			if now[r] {
				still = append(still, r)
			}
		}
		left = still
	}
	if len(left) == 0 {
		fmt.Printf("all %d runs reverted and ended in %s; nothing starts until `faultline unhalt`\n",
			len(live), time.Since(start).Round(time.Millisecond))
		return nil
	}
	fmt.Printf("%d of %d runs ended in %s; still registered: %s\n", len(live)-len(left), len(live),
		time.Since(start).Round(time.Millisecond), strings.Join(left, ", "))
	fmt.Println("a run whose runner and guard are both dead stays registered: run `faultline recover`")
	return nil
}

func unhaltCmd(c *cli.Context) error {
	had, err := session.ClearHalt(c.String("state-dir"))
	if err != nil {
		return cli.Exit(err.Error(), exitcode.Infra)
	}
	if !had {
		fmt.Println("not halted")
		return nil
	}
	fmt.Println("unhalted: runs and game days may start again")
	return nil
}

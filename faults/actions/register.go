package actions

import "github.com/faultline/faultline/faults"

func init() {
	faults.Register(faults.Kind{
		Name:      "exec",
		Doc:       "run a command (argv, no shell), optionally in a netns, with a timeout",
		Params:    ExecParams{},
		NewAction: newExec,
	})
	faults.Register(faults.Kind{
		Name:      "wait",
		Doc:       "wait a duration",
		Params:    WaitParams{},
		NewAction: newWait,
	})
}

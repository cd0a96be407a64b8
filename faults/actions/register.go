package actions

import "github.com/faultline/faultline/faults"

func init() {
	faults.Register(faults.Kind{
		Name:      "exec",
		Doc:       "run a command (argv, no shell), optionally in a netns, with a timeout",
		NewAction: newExec,
	})
	faults.Register(faults.Kind{
		Name:      "wait",
		Doc:       "wait a duration",
		NewAction: newWait,
	})
}

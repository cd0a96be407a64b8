package e2e_test

import (
	"os"
	"slices"
	"strings"
	"time"
)

// remoteDefault are the seed-remote twins the suite runs by default:
// a link fault with remote probes, and a process fault with a libvirt
// probe run by a hypervisor's agent on qemu:///system (about 70 s).
var remoteDefault = []string{"cut-nic", "freeze-web-a"}

// remoteRuns are the experiments of experiments/examples/seed-remote
// (NAME-remote.yaml, the seed NAME through SSH only) that this run holds
// to their seed twin's bounds, in the demo's order. FAULTLINE_E2E_REMOTE
// picks them: unset, remoteDefault; "all", every twin (about 12 minutes
// more); "none", none; else a comma-separated list of seed names.
func remoteRuns() []seedRun {
	want := os.Getenv("FAULTLINE_E2E_REMOTE")
	var names []string
	switch want {
	case "":
		names = remoteDefault
	case "none":
		return nil
	case "all":
	default:
		names = strings.Split(want, ",")
	}
	var out []seedRun
	for _, r := range seedRuns {
		if want != "all" && !slices.Contains(names, r.name) {
			continue
		}
		if _, err := os.Stat(remoteFile(r.name)); err != nil {
			continue // no twin yet
		}
		r.timeout += 30 * time.Second // SSH set-up and the agents' binary copy
		out = append(out, r)
	}
	return out
}

func remoteFile(name string) string {
	return repoRoot() + "/experiments/examples/seed-remote/" + name + "-remote.yaml"
}

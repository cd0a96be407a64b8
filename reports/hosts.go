package reports

import (
	"fmt"
	"maps"
	"slices"

	"github.com/faultline/faultline/internal/journal"
)

// Host is a remote host the run reached and how its clock was mapped onto
// the controller's (the offset estimated from heartbeat round trips).
// Samples and step stamps from the host are off by at most ClockError.
type Host struct {
	Name string `json:"name"`
	// Address is how the host was reached (user@address:port).
	Address string `json:"address,omitempty"`
	// ClockError bounds a host stamp's error, seconds: the largest error
	// of the estimates its stamps were mapped with.
	ClockError float64 `json:"clockError"`
	// ClockOffset is the host's monotonic clock minus the controller's,
	// seconds; RTT the round trip it was estimated from.
	ClockOffset  float64  `json:"clockOffset"`
	RTT          float64  `json:"rtt"`
	ClockSamples int      `json:"clockSamples"`
	AgentJournal string   `json:"agentJournal,omitempty"`
	Probes       []string `json:"probes,omitempty"` // probes sampled on the host
}

// hostsOf lists the journal's hosts, each with the probes it sampled.
func hostsOf(run *journal.Run) []Host {
	var out []Host
	for _, h := range run.Hosts {
		hh := Host{Name: h.Host, Address: h.Addr, ClockError: h.Bound().Seconds(), ClockOffset: h.Offset.Seconds(),
			RTT: h.RTT.Seconds(), ClockSamples: h.Samples, AgentJournal: h.Journal}
		if exp := run.Header.Experiment; exp != nil {
			for _, name := range slices.Sorted(maps.Keys(exp.Probes)) {
				if p := exp.Probes[name]; p != nil && p.On == h.Host {
					hh.Probes = append(hh.Probes, name)
				}
			}
		}
		out = append(out, hh)
	}
	return out
}

// clockErr writes a clock error bound in milliseconds.
func clockErr(s float64) string { return fmt.Sprintf("±%.3f ms", s*1000) }

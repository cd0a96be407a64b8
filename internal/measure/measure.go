// Package measure holds the values every layer of a run passes around and
// that import nothing of faultline: a probe's Sample, a Duration as files
// write it, and a Comparison (a bound such as ">= 99.5%"). It is a leaf so
// that verify, journal and reports can use them on any OS without pulling
// in the probes, which reach into Linux namespaces.
package measure

import "time"

// Sample is one check's outcome. Start is the check's start as an offset
// from the run's monotonic start; a sample belongs to the windows that
// contain its Start.
type Sample struct {
	Start   time.Duration `json:"start"`
	OK      bool          `json:"ok"`
	Value   float64       `json:"value"`
	Latency time.Duration `json:"latency"`
	Detail  string        `json:"detail,omitempty"`
}

package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// seedRun is one experiment of experiments/examples/seed and the bounds
// this suite holds its web probe to (the experiment's own verdicts are
// asserted through its exit status).
type seedRun struct {
	name            string
	minAvailability float64 // percent, over the whole run
	maxOutage       time.Duration
	timeout         time.Duration
}

// seedRuns: the reference scenario in the order of its sentences (the
// demo's order).
var seedRuns = []seedRun{
	{name: "cut-nic", minAvailability: 80, maxOutage: 3 * time.Second, timeout: 2 * time.Minute},
	{name: "kill-switch", minAvailability: 85, maxOutage: 8 * time.Second, timeout: 5 * time.Minute},
	{name: "kill-server-a", minAvailability: 90, maxOutage: 3 * time.Second, timeout: 4 * time.Minute},
	{name: "kill-server-a-bmc", minAvailability: 90, maxOutage: 3 * time.Second, timeout: 4 * time.Minute},
	{name: "migrate-web-b", minAvailability: 99, maxOutage: 2500 * time.Millisecond, timeout: 3 * time.Minute},
	{name: "fence-san-a", minAvailability: 99, maxOutage: 3 * time.Second, timeout: 4 * time.Minute},
	{name: "fence-san-b", minAvailability: 99, maxOutage: 3 * time.Second, timeout: 4 * time.Minute},
	{name: "split-vrrp", minAvailability: 95, maxOutage: 2 * time.Second, timeout: 2 * time.Minute},
	{name: "kill-libvirtd", minAvailability: 95, maxOutage: 2 * time.Second, timeout: 2 * time.Minute},
	{name: "freeze-web-a", minAvailability: 90, maxOutage: 4 * time.Second, timeout: 2 * time.Minute},
	{name: "freeze-san-a", minAvailability: 95, maxOutage: 2 * time.Second, timeout: 3 * time.Minute},
}

// seedOrders are the orders the suite runs the whole scenario in: each
// experiment must leave the lab as it found it, so a verdict never
// depends on which experiment ran before. FAULTLINE_E2E_ORDERS picks
// some of them (comma-separated names).
func seedOrders() []struct {
	name string
	runs []seedRun
} {
	alpha := append([]seedRun(nil), seedRuns...)
	sort.Slice(alpha, func(i, j int) bool { return alpha[i].name < alpha[j].name })
	all := []struct {
		name string
		runs []seedRun
	}{{"demo", seedRuns}, {"alphabetical", alpha}}
	want := os.Getenv("FAULTLINE_E2E_ORDERS")
	if want == "" {
		return all
	}
	var out []struct {
		name string
		runs []seedRun
	}
	for _, o := range all {
		if slices.Contains(strings.Split(want, ","), o.name) {
			out = append(out, o)
		}
	}
	return out
}

// report is the part of a run's report.json this suite reads.
type report struct {
	Status string   `json:"status"`
	Exit   int      `json:"exit"`
	Error  string   `json:"error"`
	Aborts []string `json:"aborts"`
	Steps  []struct {
		Name  string `json:"name"`
		Error string `json:"error"`
	} `json:"steps"`
	Verdicts []struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Measured string `json:"measured"`
		Passed   bool   `json:"passed"`
		Detail   string `json:"detail"`
	} `json:"verdicts"`
	Probes []probeReport `json:"probes"`
}

type probeReport struct {
	Name         string  `json:"name"`
	Samples      int     `json:"samples"`
	Availability float64 `json:"availability"`
	MaxOutage    float64 `json:"maxOutage"`
}

func (r *report) probe(name string) *probeReport {
	for i := range r.Probes {
		if r.Probes[i].Name == name {
			return &r.Probes[i]
		}
	}
	return nil
}

// failures says why a run did not pass: its error, its aborts, the
// steps that failed and every failed verdict.
func (r *report) failures() string {
	var out []string
	if r.Error != "" {
		out = append(out, "error: "+r.Error)
	}
	for _, a := range r.Aborts {
		out = append(out, "aborted: "+a)
	}
	for _, s := range r.Steps {
		if s.Error != "" {
			out = append(out, "step "+s.Name+": "+s.Error)
		}
	}
	for _, v := range r.Verdicts {
		if !v.Passed {
			out = append(out, v.Name+": measured "+v.Measured+" "+v.Detail)
		}
	}
	return strings.Join(out, "; ")
}

// repoRoot is the module's root (this file is internal/lab/e2e/seed_test.go).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

var faultlineBin string

// buildFaultline builds the CLI once per suite, as scripts/demo.sh does
// (from BeforeAll, so that the binary outlives every spec).
func buildFaultline(ctx context.Context) {
	if faultlineBin != "" {
		return
	}
	dir, err := os.MkdirTemp("", "fl-e2e-bin-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir) // called from BeforeAll: after the last spec
	bin := filepath.Join(dir, "faultline")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "libvirt_dlopen", "-o", bin, "./cmd/faultline")
	cmd.Dir = repoRoot()
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
	faultlineBin = bin
}

// runSeed runs experiments/examples/seed/NAME.yaml against the lab and
// returns its report.json.
func runSeed(ctx context.Context, name string) *report {
	return runExample(ctx, "seed", name)
}

// runExample runs experiments/examples/DIR/NAME.yaml against the lab and
// returns its report.json.
func runExample(ctx context.Context, dir, name string) *report {
	buildFaultline(ctx)
	out := filepath.Join(GinkgoT().TempDir(), name)
	cmd := exec.CommandContext(ctx, faultlineBin, "run", "--no-progress", "--out", out,
		filepath.Join("experiments", "examples", dir, name+".yaml"))
	cmd.Dir = repoRoot()
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		Fail("faultline run " + name + ": " + err.Error())
	}
	raw, rerr := os.ReadFile(filepath.Join(out, "report.json"))
	Expect(rerr).NotTo(HaveOccurred(), "faultline run %s wrote no report (%v)", name, err)
	var r report
	Expect(json.Unmarshal(raw, &r)).To(Succeed())
	return &r
}

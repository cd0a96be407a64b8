package gameday

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/faultline/faultline/internal/verify"
)

// Metrics keeps what /metrics exposes: counters since the server started
// and the last result of every experiment the game day has run.
type Metrics struct {
	mu       sync.Mutex
	gameDay  string
	runs     int
	failures int
	skipped  map[string]int // by reason
	running  bool
	halted   bool
	last     *Summary
	lastExp  map[string]ExperimentResult
	expOrder []string
}

// NewMetrics is empty metrics for one game day.
func NewMetrics(gameDay string) *Metrics {
	return &Metrics{gameDay: gameDay, skipped: map[string]int{"window": 0, "busy": 0, "halted": 0}, lastExp: map[string]ExperimentResult{}}
}

// Running marks a game day in progress.
func (m *Metrics) Running(on bool) {
	m.mu.Lock()
	m.running = on
	m.mu.Unlock()
}

// SetHalted marks an emergency stop in force (`faultline halt`).
func (m *Metrics) SetHalted(on bool) {
	m.mu.Lock()
	m.halted = on
	m.mu.Unlock()
}

// Skipped counts a scheduled run that did not start ("window", "busy").
func (m *Metrics) Skipped(reason string) {
	m.mu.Lock()
	m.skipped[reason]++
	m.mu.Unlock()
}

// Restore takes the last results from a summary of an earlier server
// (the history directory) without counting it as a run.
func (m *Metrics) Restore(s *Summary) {
	m.Record(s)
	m.mu.Lock()
	m.runs--
	if s.Exit != 0 {
		m.failures--
	}
	m.mu.Unlock()
}

// Record counts a finished game day and keeps its experiments' results;
// an experiment that did not run keeps its previous measured values.
func (m *Metrics) Record(s *Summary) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs++
	if s.Exit != 0 {
		m.failures++
	}
	m.last = s
	for _, e := range s.Experiments {
		if _, ok := m.lastExp[e.Name]; !ok {
			m.expOrder = append(m.expOrder, e.Name)
		}
		if prev, ok := m.lastExp[e.Name]; ok && !e.Ran() && e.Status == StatusSkipped {
			prev.Status, prev.Exit = e.Status, e.Exit
			m.lastExp[e.Name] = prev
			continue
		}
		m.lastExp[e.Name] = e
	}
}

type family struct {
	name, help, typ string
	samples         []string
}

func (f *family) add(labels []string, v float64) {
	f.samples = append(f.samples, f.name+labelText(labels)+" "+formatValue(v))
}

// labelText renders name/value pairs as {a="x",b="y"}, escaped as the
// text exposition format requires.
func labelText(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+`="`+esc.Replace(kv[i+1])+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteTo writes the metrics in the Prometheus text exposition format 0.0.4.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	gd := []string{"gameday", m.gameDay}
	with := func(kv ...string) []string { return append(append([]string{}, gd...), kv...) }
	fam := func(name, typ, help string) *family { return &family{name: name, typ: typ, help: help} }

	runs := fam("faultline_gameday_runs_total", "counter", "Game days run since the server started.")
	runs.add(gd, float64(m.runs))
	fails := fam("faultline_gameday_failures_total", "counter", "Game days that ended with a non-zero exit code.")
	fails.add(gd, float64(m.failures))
	skipped := fam("faultline_gameday_skipped_total", "counter", "Scheduled game days not started: outside the window, the previous one still running, or halted.")
	reasons := make([]string, 0, len(m.skipped))
	for r := range m.skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		skipped.add(with("reason", r), float64(m.skipped[r]))
	}
	running := fam("faultline_gameday_running", "gauge", "1 while a game day is running.")
	running.add(gd, b2f(m.running))
	halted := fam("faultline_gameday_halted", "gauge", "1 while `faultline halt` is in force: scheduled runs are skipped.")
	halted.add(gd, b2f(m.halted))
	fams := []*family{runs, fails, skipped, running, halted}

	if m.last != nil {
		lastExit := fam("faultline_gameday_last_exit_code", "gauge", "Exit code of the last game day (the worst of its experiments).")
		lastExit.add(gd, float64(m.last.Exit))
		lastTime := fam("faultline_gameday_last_run_timestamp_seconds", "gauge", "When the last game day finished, Unix time.")
		lastTime.add(gd, float64(m.last.Finished.UnixMilli())/1000)
		lastDur := fam("faultline_gameday_last_duration_seconds", "gauge", "How long the last game day took.")
		lastDur.add(gd, m.last.Duration)
		fams = append(fams, lastExit, lastTime, lastDur)
	}
	expExit := fam("faultline_experiment_last_exit_code", "gauge", "Exit code of the experiment's last run (0 passed, 1 failed, 2 invalid, 3 aborted or refused, 4 infrastructure error).")
	expPassed := fam("faultline_experiment_last_passed", "gauge", "1 if the experiment's last run passed.")
	verdictPassed := fam("faultline_verification_last_passed", "gauge", "1 if the verification held in the experiment's last run that measured it.")
	verdictValue := fam("faultline_verification_last_value", "gauge", "Measured value of the verification (percent, seconds or count, by kind).")
	outage := fam("faultline_probe_max_outage_seconds", "gauge", "Longest measured outage of the probe in the experiment's last run.")
	avail := fam("faultline_probe_availability_ratio", "gauge", "Ok samples over all samples of the probe in the method window of the last run.")
	recovery := fam("faultline_probe_recovery_seconds", "gauge", "Measured time until the probe reached its target (reaches verifications) in the last run; NaN if it could not be measured.")
	for _, name := range m.expOrder {
		e := m.lastExp[name]
		ex := with("experiment", name)
		expExit.add(ex, float64(e.Exit))
		expPassed.add(ex, b2f(e.Status == StatusPassed))
		seen := map[string]int{}
		for _, v := range e.Verdicts {
			// Two verifications may read alike; a series must be unique.
			vname := v.Name
			if seen[v.Name]++; seen[v.Name] > 1 {
				vname = fmt.Sprintf("%s #%d", v.Name, seen[v.Name])
			}
			v.Name = vname
			vl := with("experiment", name, "probe", v.Probe, "kind", v.Kind, "verification", v.Name)
			verdictPassed.add(vl, b2f(v.Passed))
			verdictValue.add(vl, measured(v))
			if v.Kind == verify.KindReaches {
				recovery.add(with("experiment", name, "probe", v.Probe, "verification", v.Name), measured(v))
			}
		}
		for _, p := range e.Probes {
			pl := with("experiment", name, "probe", p.Name)
			outage.add(pl, p.MaxOutage)
			avail.add(pl, p.Availability/100)
		}
	}
	fams = append(fams, expExit, expPassed, verdictPassed, verdictValue, outage, avail, recovery)

	var b strings.Builder
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		for _, s := range f.samples {
			b.WriteString(s + "\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// measured is a verdict's value, NaN when it could not be measured.
func measured(v verify.Verdict) float64 {
	if v.Measured == "n/a" || v.Measured == "" {
		return math.NaN()
	}
	return v.Value
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

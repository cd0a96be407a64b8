package reports

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML types, shaped after the schema Jenkins' JUnit support uses:
// testsuites > testsuite (name, tests, failures, errors required) > testcase.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string         `xml:"name,attr"`
	Tests      int            `xml:"tests,attr"`
	Failures   int            `xml:"failures,attr"`
	Errors     int            `xml:"errors,attr"`
	Skipped    int            `xml:"skipped,attr"`
	Time       string         `xml:"time,attr"`
	Timestamp  string         `xml:"timestamp,attr,omitempty"`
	Hostname   string         `xml:"hostname,attr,omitempty"`
	File       string         `xml:"file,attr,omitempty"`
	Properties *junitProps    `xml:"properties,omitempty"`
	Cases      []junitCase    `xml:"testcase"`
	SystemOut  *junitCharData `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type junitCharData struct {
	Text string `xml:",chardata"`
}

// JUnitSuite builds the testsuite of one report: one testcase per verify
// entry, one for the steady state, one per step (an error if it failed).
func (r *Report) junitSuite() junitSuite {
	class := "faultline." + r.Experiment
	s := junitSuite{Name: r.Experiment, Time: fmt.Sprintf("%.3f", r.Duration),
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"), Hostname: r.Host, File: r.File}
	props := []junitProp{{"run", r.Run}, {"status", r.Status}, {"exit", fmt.Sprint(r.Exit)}}
	if r.Version != "" {
		props = append(props, junitProp{"faultline.version", r.Version})
	}
	for k, v := range r.Labels {
		props = append(props, junitProp{"label." + k, v})
	}
	s.Properties = &junitProps{Props: props}

	// Steady state: one testcase over the before and after checks.
	steady := junitCase{Name: "steady state", Classname: class, Time: "0"}
	var steadyFails []string
	hasSteady := false
	for _, v := range r.Verdicts {
		if v.Kind != "steadyState" {
			continue
		}
		hasSteady = true
		if !v.Passed {
			steadyFails = append(steadyFails, fmt.Sprintf("%s: measured %s (%s)", v.Name, v.Measured, v.Detail))
		}
	}
	if hasSteady || len(r.Aborts) > 0 {
		if len(steadyFails) > 0 {
			steady.Failure = &junitProblem{Message: steadyFails[0], Type: "steadyState", Text: strings.Join(steadyFails, "\n")}
		}
		if r.Status == "aborted" && len(r.Aborts) > 0 {
			steady.Error = &junitProblem{Message: "run aborted: " + strings.Join(r.Aborts, "; "), Type: "aborted"}
		}
		s.Cases = append(s.Cases, steady)
	}
	for _, v := range r.Verdicts {
		if v.Kind == "steadyState" {
			continue
		}
		c := junitCase{Name: v.Name, Classname: class, Time: fmt.Sprintf("%.3f", (v.Window.To - v.Window.From).Seconds())}
		if !v.Passed {
			msg := fmt.Sprintf("measured %s, bound %s", v.Measured, v.Bound)
			if v.Detail != "" {
				msg += ": " + v.Detail
			}
			c.Failure = &junitProblem{Message: msg, Type: v.Kind, Text: msg}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, st := range r.Steps {
		c := junitCase{Name: "step " + st.Name + " (" + st.Kind + ")", Classname: class + ".steps", Time: "0"}
		if st.Reverted && st.Injected {
			c.Time = fmt.Sprintf("%.3f", st.End-st.At)
		}
		if st.Error != "" {
			c.Error = &junitProblem{Message: st.Error, Type: "step"}
		} else if !st.Injected {
			c.Skipped = &junitProblem{Message: "step did not run"}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Error != nil:
			s.Errors++
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.SystemOut = &junitCharData{Text: r.Headline()}
	return s
}

// WriteJUnit writes JUnit XML for one or more reports (a game day merges).
func WriteJUnit(w io.Writer, name string, reps ...*Report) error {
	out := junitSuites{Name: name}
	var total float64
	for _, r := range reps {
		s := r.junitSuite()
		out.Suites = append(out.Suites, s)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		total += r.Duration
	}
	out.Time = fmt.Sprintf("%.3f", total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

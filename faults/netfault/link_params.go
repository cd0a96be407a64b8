package netfault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// linkParams is the `with` of link.down: one NIC (link) or several of one
// namespace (links).
type linkParams struct {
	Netns string   `json:"netns,omitempty"`
	Link  string   `json:"link,omitempty"`
	Links []string `json:"links,omitempty"`
}

// names is link and links together, in order, without repeats.
func (p linkParams) names() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range append([]string{p.Link}, p.Links...) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func (p linkParams) validate() error {
	var errs []error
	if err := linkValidateNetns(p.Netns); err != nil {
		errs = append(errs, err)
	}
	if p.Link == "" && len(p.Links) == 0 {
		errs = append(errs, errors.New("with: link (or links) is required"))
	}
	if p.Link != "" {
		if err := linkValidateName("link", p.Link); err != nil {
			errs = append(errs, err)
		}
	}
	for i, n := range p.Links {
		if err := linkValidateName(fmt.Sprintf("links[%d]", i), n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// flapParams is the `with` of link.flap.
type flapParams struct {
	linkParams
	Period string `json:"period" required:"true" doc:"e.g. 200ms"`
	Count  int    `json:"count" required:"true" min:"1"`
}

// flapMinPeriod keeps each half of a cycle long enough for the restore
// after "up" to finish.
const flapMinPeriod = 2 * time.Millisecond

func (p flapParams) validate() (time.Duration, error) {
	errs := []error{p.linkParams.validate()}
	var period time.Duration
	switch d, err := time.ParseDuration(p.Period); {
	case p.Period == "":
		errs = append(errs, errors.New(`with: period is required (e.g. "200ms")`))
	case err != nil:
		errs = append(errs, fmt.Errorf("with: period: %w", err))
	case d < flapMinPeriod:
		errs = append(errs, fmt.Errorf("with: period %s is below the minimum %s", d, flapMinPeriod))
	default:
		period = d
	}
	if p.Count < 1 {
		errs = append(errs, fmt.Errorf("with: count must be at least 1, got %d", p.Count))
	}
	return period, errors.Join(errs...)
}

// switchParams is the `with` of switch.down and switch.isolate.
type switchParams struct {
	Netns  string   `json:"netns,omitempty"`
	Bridge string   `json:"bridge" required:"true"`
	Ports  []string `json:"ports,omitempty" doc:"required by switch.isolate"`
}

func (p switchParams) validate(needPorts bool) error {
	var errs []error
	if err := linkValidateNetns(p.Netns); err != nil {
		errs = append(errs, err)
	}
	if p.Bridge == "" {
		errs = append(errs, errors.New("with: bridge is required"))
	} else if err := linkValidateName("bridge", p.Bridge); err != nil {
		errs = append(errs, err)
	}
	if needPorts && len(p.Ports) == 0 {
		errs = append(errs, errors.New("with: ports must name at least one port of the bridge"))
	}
	if !needPorts && len(p.Ports) > 0 {
		errs = append(errs, errors.New("with: ports is not a parameter of switch.down (every port goes down)"))
	}
	seen := map[string]bool{}
	for i, n := range p.Ports {
		if err := linkValidateName(fmt.Sprintf("ports[%d]", i), n); err != nil {
			errs = append(errs, err)
		}
		if seen[n] {
			errs = append(errs, fmt.Errorf("with: ports[%d]: %q listed twice", i, n))
		}
		if n == p.Bridge {
			errs = append(errs, fmt.Errorf("with: ports[%d]: %q is the bridge itself", i, n))
		}
		seen[n] = true
	}
	return errors.Join(errs...)
}

// linkValidateNetns applies the one rule for namespace names.
func linkValidateNetns(name string) error { return validNetns(name) }

// linkValidateName applies the kernel's rules for interface names.
func linkValidateName(field, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("with: %s: empty link name", field)
	case len(name) > 15:
		return fmt.Errorf("with: %s: link name %q is longer than 15 bytes", field, name)
	case name == "." || name == ".." || strings.ContainsAny(name, "/: \t\n\x00"):
		return fmt.Errorf("with: %s: %q is not a valid link name", field, name)
	}
	return nil
}

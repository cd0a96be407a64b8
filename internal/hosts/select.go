package hosts

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/faultline/faultline/internal/pick"
)

// ErrNoHost is wrapped by selection errors: nothing matched.
var ErrNoHost = errors.New("no such host")

// Selector is a step's or probe's `on:` with its `count:`/`percent:` and
// `seed:`. On is a host name ("hv-a"), a glob over host names ("hv-*") or
// a group ("group:hypervisors"). With a glob or a group, Count or Percent
// picks a random subset drawn with Seed; without either, every match is
// taken. This is the selection libvirt domain targets use (faults/virtfault).
type Selector struct {
	On      string  `json:"on"`
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	Seed    *int64  `json:"seed,omitempty"` // chosen and recorded when omitted
}

// GroupPrefix marks a group in `on:`.
const GroupPrefix = "group:"

func (s *Selector) isGlob() bool { return strings.ContainsAny(s.On, "*?[") }

func (s *Selector) isGroup() bool { return strings.HasPrefix(s.On, GroupPrefix) }

// Validate checks the selector's shape and, for a glob or a group, draws
// the seed when omitted so the caller can record it.
func (s *Selector) Validate() error {
	var errs []error
	multi := s.isGlob() || s.isGroup()
	switch {
	case s.On == "":
		errs = append(errs, errors.New("on: must name a host, a glob or group:NAME"))
	case s.isGroup():
		if !ValidName(strings.TrimPrefix(s.On, GroupPrefix)) {
			errs = append(errs, fmt.Errorf("on: bad group name %q", s.On))
		}
	case s.isGlob():
		if _, err := path.Match(s.On, ""); err != nil {
			errs = append(errs, fmt.Errorf("on: bad glob %q: %w", s.On, err))
		}
	case !ValidName(s.On):
		errs = append(errs, fmt.Errorf("on: bad host name %q", s.On))
	}
	if !multi && (s.Count != 0 || s.Percent != 0 || s.Seed != nil) {
		errs = append(errs, errors.New("count, percent and seed need on: to be a glob or group:NAME"))
	}
	errs = append(errs, pick.Check(s.Count, s.Percent)...)
	if multi && s.Seed == nil {
		v := pick.NewSeed()
		s.Seed = &v
	}
	return errors.Join(errs...)
}

func (s Selector) String() string {
	if !s.isGlob() && !s.isGroup() {
		return "host " + s.On
	}
	pick := "all"
	if s.Count > 0 {
		pick = fmt.Sprintf("%d", s.Count)
	} else if s.Percent > 0 {
		pick = fmt.Sprintf("%g%%", s.Percent)
	}
	what := fmt.Sprintf("hosts %q", s.On)
	if s.isGroup() {
		what = "hosts of " + s.On
	}
	seed := int64(0)
	if s.Seed != nil {
		seed = *s.Seed
	}
	return fmt.Sprintf("%s of %s (seed %d)", pick, what, seed)
}

// Select resolves a selector (validated) to host names, sorted. The same
// seed over the same set picks the same hosts.
func (set *Set) Select(s Selector) ([]string, error) {
	var match []string
	switch {
	case s.isGroup():
		g := strings.TrimPrefix(s.On, GroupPrefix)
		members, ok := set.Groups[g]
		if !ok {
			return nil, fmt.Errorf("on: %s: no group %q (groups: %s): %w", s.On, g, short(set.groupNames()), ErrNoHost)
		}
		match = append(match, members...)
	case s.isGlob():
		for _, n := range set.Names() {
			if ok, _ := path.Match(s.On, n); ok {
				match = append(match, n)
			}
		}
	default:
		if _, ok := set.Hosts[s.On]; !ok {
			return nil, fmt.Errorf("on: no host %q (hosts: %s): %w", s.On, short(set.Names()), ErrNoHost)
		}
		return []string{s.On}, nil
	}
	if len(match) == 0 {
		return nil, fmt.Errorf("on: %q matches no host (hosts: %s): %w", s.On, short(set.Names()), ErrNoHost)
	}
	sort.Strings(match)
	n := pick.Size(len(match), s.Count, s.Percent)
	if n == len(match) {
		return match, nil
	}
	seed := int64(0)
	if s.Seed != nil {
		seed = *s.Seed
	}
	pick.Shuffle(len(match), seed, func(i, j int) { match[i], match[j] = match[j], match[i] })
	picked := match[:n]
	sort.Strings(picked)
	return picked, nil
}

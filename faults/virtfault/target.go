package virtfault

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/pick"
)

// DomainTarget selects domains on one hypervisor: exactly one of Domain
// (name), UUID or Domains (a glob over running domains' names). With a
// glob, Count or Percent picks a random subset, drawn with Seed; without
// either, every match is taken.
type DomainTarget struct {
	URI     string  `json:"uri" required:"true" doc:"libvirt connection URI"`
	Domain  string  `json:"domain,omitempty" doc:"one of domain, uuid, domains"`
	UUID    string  `json:"uuid,omitempty"`
	Domains string  `json:"domains,omitempty" doc:"a glob; with count, percent, seed"`
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	// Seed of the random pick; chosen and recorded when omitted.
	Seed *int64 `json:"seed,omitempty"`

	// allowEmpty: a glob matching nothing selects nothing (hypervisor.destroy
	// on an idle hypervisor) instead of failing.
	allowEmpty bool
}

func (t *DomainTarget) validate() error {
	errs := missingFields(required{"uri", t.URI})
	set := 0
	for _, s := range []string{t.Domain, t.UUID, t.Domains} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, errors.New("exactly one of domain, uuid, domains is required"))
	}
	if t.Domains != "" {
		if _, err := path.Match(t.Domains, ""); err != nil {
			errs = append(errs, fmt.Errorf("domains: bad glob %q: %w", t.Domains, err))
		}
	} else if t.Count != 0 || t.Percent != 0 || t.Seed != nil {
		errs = append(errs, errors.New("count, percent and seed need domains (a glob)"))
	}
	errs = append(errs, pick.Check(t.Count, t.Percent)...)
	if t.Domains != "" && t.Seed == nil {
		s := pick.NewSeed()
		t.Seed = &s
	}
	return errors.Join(errs...)
}

func (t *DomainTarget) String() string {
	switch {
	case t.Domain != "":
		return fmt.Sprintf("domain %s on %s", t.Domain, t.URI)
	case t.UUID != "":
		return fmt.Sprintf("domain %s on %s", t.UUID, t.URI)
	}
	pick := "all"
	if t.Count > 0 {
		pick = fmt.Sprintf("%d", t.Count)
	} else if t.Percent > 0 {
		pick = fmt.Sprintf("%g%%", t.Percent)
	}
	return fmt.Sprintf("%s of domains %q on %s (seed %d)", pick, t.Domains, t.URI, *t.Seed)
}

func (t *DomainTarget) targets() []faults.Target {
	id := t.Domain
	if id == "" {
		id = t.UUID
	}
	if id == "" {
		id = t.Domains
	}
	return []faults.Target{{Kind: "domain", ID: t.URI + "/" + id}}
}

// resolve finds the selected domains. A glob is matched against running
// domains, sorted by name, so the same seed picks the same ones.
func (t *DomainTarget) resolve(ctx context.Context, c Conn) ([]Domain, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case t.Domain != "":
		d, err := c.DomainByName(t.Domain)
		if err != nil {
			return nil, err
		}
		return []Domain{d}, nil
	case t.UUID != "":
		d, err := c.DomainByUUID(t.UUID)
		if err != nil {
			return nil, err
		}
		return []Domain{d}, nil
	}
	all, err := c.ListDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
	if err != nil {
		return nil, err
	}
	var match []Domain
	for _, d := range all {
		if ok, _ := path.Match(t.Domains, d.Name()); ok {
			match = append(match, d)
		} else {
			d.Free()
		}
	}
	if len(match) == 0 && t.allowEmpty {
		return nil, nil
	}
	if len(match) == 0 {
		return nil, fmt.Errorf("no running domain matches %q on %s: %w", t.Domains, t.URI, faults.ErrNotFound)
	}
	sort.Slice(match, func(i, j int) bool { return match[i].Name() < match[j].Name() })
	n := pick.Size(len(match), t.Count, t.Percent)
	pick.Shuffle(len(match), *t.Seed, func(i, j int) { match[i], match[j] = match[j], match[i] })
	for _, d := range match[n:] {
		d.Free()
	}
	picked := match[:n]
	sort.Slice(picked, func(i, j int) bool { return picked[i].Name() < picked[j].Name() })
	return picked, nil
}

// names lists domain names for descriptions and errors.
func names(ds []Domain) string {
	n := make([]string, len(ds))
	for i, d := range ds {
		n[i] = d.Name()
	}
	return strings.Join(n, ",")
}

func freeAll(ds []Domain) {
	for _, d := range ds {
		d.Free()
	}
}

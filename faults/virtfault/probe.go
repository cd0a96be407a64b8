package virtfault

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/internal/probes"
)

// stateFlags maps the probe's `state` to libvirt's list filter.
var stateFlags = map[string]libvirt.ConnectListAllDomainsFlags{
	"running":  libvirt.CONNECT_LIST_DOMAINS_RUNNING,
	"paused":   libvirt.CONNECT_LIST_DOMAINS_PAUSED,
	"shutoff":  libvirt.CONNECT_LIST_DOMAINS_SHUTOFF,
	"active":   libvirt.CONNECT_LIST_DOMAINS_ACTIVE,
	"inactive": libvirt.CONNECT_LIST_DOMAINS_INACTIVE,
	"any":      0,
}

// LibvirtProber counts domains matching a glob in a state across URIs
// (value), and with SplitBrain fails a sample in which one domain (same
// name or same UUID) runs on more than one hypervisor. Its connections
// stay open between checks; a URI whose query fails is reconnected at
// the next check.
type LibvirtProber struct {
	uris       []string
	glob       string
	state      libvirt.ConnectListAllDomainsFlags
	splitBrain bool
}

// NewLibvirtProber builds the checks of a libvirt probe whose parameters
// the probes registry has validated.
func NewLibvirtProber(p probes.LibvirtParams) (probes.Prober, error) {
	glob := p.Domains
	if glob == "" {
		glob = "*"
	}
	if _, err := path.Match(glob, ""); err != nil {
		return nil, probes.Errorf("domains", "bad glob %q: %v", glob, err)
	}
	state := p.State
	if state == "" {
		state = "running"
	}
	flags, ok := stateFlags[state]
	if !ok {
		return nil, probes.Errorf("state", "state %q is not one of running, paused, shutoff, active, inactive, any", state)
	}
	return &LibvirtProber{uris: p.URIs, glob: glob, state: flags, splitBrain: p.SplitBrain}, nil
}

type hvResult struct {
	count   int
	running []domID
	err     error
}

type domID struct{ name, uuid string }

// Check queries every URI at once.
func (p *LibvirtProber) Check(ctx context.Context) probes.Sample {
	t0 := time.Now()
	results := make([]hvResult, len(p.uris))
	var wg sync.WaitGroup
	for i, uri := range p.uris {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.query(ctx, uri)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return probes.Sample{OK: false, Latency: time.Since(t0), Detail: "libvirt: " + ctx.Err().Error()}
	}
	s := probes.Sample{OK: true, Latency: time.Since(t0)}
	var details []string
	where := map[string][]string{} // "name x" / "uuid y" -> hypervisors running it
	for i, r := range results {
		if r.err != nil {
			s.OK = false
			details = append(details, r.err.Error())
			continue
		}
		s.Value += float64(r.count)
		for _, d := range r.running {
			where["name "+d.name] = append(where["name "+d.name], p.uris[i])
			where["uuid "+d.uuid] = append(where["uuid "+d.uuid], p.uris[i])
		}
	}
	if p.splitBrain {
		var keys []string
		for k, hvs := range where {
			if len(hvs) > 1 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			s.OK = false
			details = append(details, fmt.Sprintf("split brain: domain %s runs on %s", strings.TrimPrefix(strings.TrimPrefix(k, "name "), "uuid "), strings.Join(where[k], ", ")))
		}
	}
	s.Detail = strings.Join(details, "; ")
	return s
}

func (p *LibvirtProber) query(ctx context.Context, uri string) hvResult {
	c, err := connect(ctx, uri)
	if err != nil {
		return hvResult{err: err}
	}
	var r hvResult
	list := func(flags libvirt.ConnectListAllDomainsFlags) ([]domID, error) {
		ds, err := c.ListDomains(flags)
		if err != nil {
			forget(uri)
			return nil, err
		}
		defer freeAll(ds)
		var out []domID
		for _, d := range ds {
			if ok, _ := path.Match(p.glob, d.Name()); ok {
				out = append(out, domID{d.Name(), d.UUID()})
			}
		}
		return out, nil
	}
	matched, err := list(p.state)
	if err != nil {
		return hvResult{err: err}
	}
	r.count = len(matched)
	if p.splitBrain {
		if p.state == libvirt.CONNECT_LIST_DOMAINS_RUNNING {
			r.running = matched
		} else if r.running, err = list(libvirt.CONNECT_LIST_DOMAINS_RUNNING); err != nil {
			return hvResult{err: err}
		}
	}
	return r
}

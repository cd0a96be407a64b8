package experiments

import (
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/nsutil/nsname"
)

func (v *validator) probes() {
	for _, name := range v.probeNames() {
		p := v.exp.Probes[name]
		fp := joinPath("probes", name)
		if name == "" {
			v.keyErrf(fp, "a probe needs a name")
		}
		if p == nil {
			v.keyErrf(fp, "empty probe: set one of http, tcp, exec, libvirt")
			continue
		}
		v.probe(fp, p)
	}
}

func (v *validator) probe(fp string, p *Probe) {
	var set []string
	for _, k := range []struct {
		name string
		on   bool
	}{{"http", p.HTTP != nil}, {"tcp", p.TCP != nil}, {"exec", p.Exec != nil}, {"libvirt", p.Libvirt != nil}} {
		if v.written(fp+"."+k.name, k.on) {
			set = append(set, k.name)
		}
	}
	switch len(set) {
	case 0:
		v.keyErrf(fp, "set one probe kind: http, tcp, exec or libvirt")
	case 1:
	default:
		v.errf(fp+"."+set[1], "set only one probe kind, got %s", strings.Join(set, " and "))
	}
	if p.HTTP != nil {
		v.httpProbe(fp+".http", p.HTTP)
	}
	if p.TCP != nil {
		v.tcpProbe(fp+".tcp", p.TCP)
	}
	if p.Exec != nil {
		v.execProbe(fp+".exec", p.Exec)
	}
	if p.Libvirt != nil {
		v.libvirtProbe(fp+".libvirt", p.Libvirt)
	}
	v.checkDurationAtLeast(fp+".every", p.Every, time.Millisecond)
	if v.written(fp+".netns", p.Netns != "") {
		if err := nsname.Validate(p.Netns); err != nil {
			v.errf(fp+".netns", "%v", err)
		}
	}
}

func (v *validator) httpProbe(fp string, h *HTTPProbe) {
	if !v.written(fp+".url", h.URL != "") {
		v.errf(fp+".url", "missing: the URL to request")
	} else if u, err := url.Parse(h.URL); err != nil {
		v.errf(fp+".url", "bad URL %q: %v", h.URL, err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errf(fp+".url", "bad URL %q: want http://host/... or https://host/...", h.URL)
	}
	if v.written(fp+".status", h.Status != 0) && (h.Status < 100 || h.Status > 599) {
		v.errf(fp+".status", "bad HTTP status %d: want 100 to 599", h.Status)
	}
}

func (v *validator) tcpProbe(fp string, t *TCPProbe) {
	if !v.written(fp+".address", t.Address != "") {
		v.errf(fp+".address", "missing: host:port to connect to")
		return
	}
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		v.errf(fp+".address", "bad address %q: want host:port", t.Address)
		return
	}
	n, perr := strconv.Atoi(port)
	if host == "" || perr != nil || n < 1 || n > 65535 {
		v.errf(fp+".address", "bad address %q: want host:port with a port from 1 to 65535", t.Address)
	}
}

func (v *validator) execProbe(fp string, x *ExecProbe) {
	if len(x.Command) == 0 || x.Command[0] == "" {
		v.errf(fp+".command", "missing: the program and its arguments, e.g. [\"etcdctl\", \"endpoint\", \"health\"]")
	}
	if x.ExpectExit != nil && (*x.ExpectExit < 0 || *x.ExpectExit > 255) {
		v.errf(fp+".expectExit", "bad exit status %d: want 0 to 255", *x.ExpectExit)
	}
}

func (v *validator) libvirtProbe(fp string, l *LibvirtProbe) {
	if len(l.URIs) == 0 {
		v.errf(fp+".uris", "missing: the libvirt connection URIs to count domains on")
	}
	for i, u := range l.URIs {
		if strings.TrimSpace(u) == "" {
			v.errf(joinIndex(fp+".uris", i), "empty URI")
		}
	}
	if !v.written(fp+".domains", l.Domains != "") {
		v.errf(fp+".domains", "missing: a domain name or glob, e.g. web-*")
	} else if _, err := path.Match(l.Domains, ""); err != nil {
		v.errf(fp+".domains", "bad glob %q: %v", l.Domains, err)
	}
}

func joinIndex(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

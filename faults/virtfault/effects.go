package virtfault

import (
	"net/netip"
	"net/url"

	"github.com/faultline/faultline/faults"
)

// The libvirt daemons (and migration targets) each fault and action talks
// to, for lock-out protection (faults.Endpointer).

func (f *domainFault) Endpoints() []faults.Endpoint { return libvirtEndpoints(f.target.URI) }

func (f *networkFault) Endpoints() []faults.Endpoint { return libvirtEndpoints(f.p.URI) }

func (a *startAction) Endpoints() []faults.Endpoint {
	return libvirtEndpoints(a.p.URI, a.p.DefineFrom)
}

func (a *migrateAction) Endpoints() []faults.Endpoint {
	out := libvirtEndpoints(a.p.URI, a.p.To)
	if h := remoteHost(a.p.MigrateURI); h != "" {
		out = append(out, faults.Endpoint{Name: "migration " + a.p.MigrateURI, Host: h})
	}
	return out
}

// libvirtEndpoints lists the remote ones of the URIs.
func libvirtEndpoints(uris ...string) []faults.Endpoint {
	var out []faults.Endpoint
	for _, u := range uris {
		if h := remoteHost(u); h != "" {
			out = append(out, faults.Endpoint{Name: "libvirt " + u, Host: h})
		}
	}
	return out
}

// remoteHost is the host of a URI that names another machine; "" for a
// local one (no host, localhost, a loopback address) or no URI.
func remoteHost(uri string) string {
	if uri == "" {
		return ""
	}
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	if h == "" || h == "localhost" {
		return ""
	}
	if a, err := netip.ParseAddr(h); err == nil && a.IsLoopback() {
		return ""
	}
	return h
}

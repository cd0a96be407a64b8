package probes_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/faultline/faultline/internal/nsutil"
)

// Benchmark set-up: plain testing.B helpers (Gomega's Expect needs a spec).

func benchNetns(b *testing.B) string {
	name := fmt.Sprintf("fl-%06x", rand.Uint32()&0xffffff)
	if err := nsutil.Create(name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := nsutil.Delete(name); err != nil {
			b.Error(err)
		}
	})
	return name
}

// benchJoin links client (198.18.0.1/30) and server (198.18.0.2/30).
func benchJoin(b *testing.B, client, server string) {
	nsS, err := nsutil.Open(server)
	if err != nil {
		b.Fatal(err)
	}
	defer nsS.Close()
	hc, err := nsutil.Handle(client)
	if err != nil {
		b.Fatal(err)
	}
	defer hc.Close()
	if err := hc.LinkAdd(&netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: "veth-c"},
		PeerName:      "veth-s",
		PeerNamespace: netlink.NsFd(int(nsS)),
	}); err != nil {
		b.Fatal(err)
	}
	for _, side := range []struct{ ns, link, addr string }{
		{client, "veth-c", "198.18.0.1/30"}, {server, "veth-s", "198.18.0.2/30"},
	} {
		h, err := nsutil.Handle(side.ns)
		if err != nil {
			b.Fatal(err)
		}
		l, err := h.LinkByName(side.link)
		if err == nil {
			var a *netlink.Addr
			if a, err = netlink.ParseAddr(side.addr); err == nil {
				err = h.AddrAdd(l, a)
			}
		}
		h.Close()
		if err != nil {
			b.Fatal(err)
		}
		setLink(b, side.ns, side.link, true)
	}
	waitCarrier(b, server, "veth-s")
	staticNeighbour(b, client, "veth-c", server, "veth-s", "198.18.0.2")
}

// staticNeighbour pins the server's MAC in the client. The client's link
// loses carrier while the server's is down; a dynamic entry would then sit
// in ARP's retry cycle (retrans_time, 1 s) and the path would come back
// up to a second after the link, which measures ARP, not the sampler.
func staticNeighbour(b *testing.B, client, clientLink, server, serverLink, ip string) {
	hs, err := nsutil.Handle(server)
	if err != nil {
		b.Fatal(err)
	}
	defer hs.Close()
	sl, err := hs.LinkByName(serverLink)
	if err != nil {
		b.Fatal(err)
	}
	hc, err := nsutil.Handle(client)
	if err != nil {
		b.Fatal(err)
	}
	defer hc.Close()
	cl, err := hc.LinkByName(clientLink)
	if err != nil {
		b.Fatal(err)
	}
	if err := hc.NeighAdd(&netlink.Neigh{
		LinkIndex:    cl.Attrs().Index,
		Family:       netlink.FAMILY_V4,
		State:        netlink.NUD_PERMANENT,
		IP:           net.ParseIP(ip),
		HardwareAddr: sl.Attrs().HardwareAddr,
	}); err != nil {
		b.Fatal(err)
	}
}

// benchServe runs an HTTP server on 198.18.0.2:8080 in ns and returns the
// name of the server's link.
func benchServe(b *testing.B, ns string) string {
	var l net.Listener
	if err := nsutil.Do(ns, func() (err error) {
		l, err = net.Listen("tcp", "198.18.0.2:8080")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "veth-s"
}

func setLink(b *testing.B, ns, name string, up bool) {
	h, err := nsutil.Handle(ns)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err == nil {
		if up {
			err = h.LinkSetUp(l)
		} else {
			err = h.LinkSetDown(l)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
}

func waitCarrier(b *testing.B, ns, name string) {
	h, err := nsutil.Handle(ns)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if l, err := h.LinkByName(name); err == nil && l.Attrs().OperState == netlink.OperUp {
			return
		}
	}
	b.Fatalf("%s in %s never came up", name, ns)
}

package probes_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/faultline/faultline/internal/probes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func httpProbe(url string, status int, timeout probes.Duration, netns string) probes.Def {
	return def("http", probes.HTTPParams{URL: url, Status: status, Timeout: timeout}, 50*time.Millisecond, netns)
}

var _ = Describe("http probe", func() {
	var (
		status   atomic.Int32
		newConns atomic.Int32
		srv      *httptest.Server
	)

	BeforeEach(func() {
		status.Store(http.StatusOK)
		newConns.Store(0)
		srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/redirect":
				http.Redirect(w, r, "/target", http.StatusFound)
			case "/target":
				Fail("the probe followed a redirect")
			case "/slow":
				select {
				case <-time.After(3 * time.Second):
				case <-r.Context().Done():
				}
			default:
				w.WriteHeader(int(status.Load()))
				fmt.Fprintln(w, "hello")
			}
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				newConns.Add(1)
			}
		}
		srv.Start()
		DeferCleanup(srv.Close)
	})

	It("is ok with value 200 against a live server", func() {
		s := newProber(httpProbe(srv.URL, 0, 0, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(200.0))
		Expect(s.Latency).To(BeNumerically(">", 0))
	})

	It("fails on a status mismatch and reports the status as value", func() {
		status.Store(http.StatusServiceUnavailable)
		s := newProber(httpProbe(srv.URL, 0, 0, "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(503.0))
		Expect(s.Detail).To(ContainSubstring("503"))
	})

	It("is ok when the status is the expected non-200 one", func() {
		status.Store(http.StatusTeapot)
		s := newProber(httpProbe(srv.URL, 418, 0, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(418.0))
	})

	It("reports a redirect instead of following it", func() {
		s := newProber(httpProbe(srv.URL+"/redirect", 0, 0, "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(302.0))
		s = newProber(httpProbe(srv.URL+"/redirect", 302, 0, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
	})

	It("reuses one connection while checks pass and reconnects after a failure", func() {
		p := newProber(httpProbe(srv.URL, 0, 0, ""))
		for range 20 {
			Expect(p.Check(context.Background()).OK).To(BeTrue())
		}
		Expect(newConns.Load()).To(Equal(int32(1)))

		status.Store(http.StatusInternalServerError)
		Expect(p.Check(context.Background()).OK).To(BeFalse())
		status.Store(http.StatusOK)
		Expect(p.Check(context.Background()).OK).To(BeTrue())
		Expect(newConns.Load()).To(Equal(int32(2)))
		Expect(p.Check(context.Background()).OK).To(BeTrue())
		Expect(newConns.Load()).To(Equal(int32(2)))
	})

	It("fails within its timeout when the server does not answer", func() {
		p := newProber(httpProbe(srv.URL+"/slow", 0, ms(100), ""))
		start := time.Now()
		s := p.Check(context.Background())
		took := time.Since(start)
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(0.0))
		Expect(s.Detail).To(ContainSubstring("timeout"))
		Expect(took).To(BeNumerically(">=", 100*time.Millisecond))
		Expect(took).To(BeNumerically("<", 300*time.Millisecond))
	})

	It("fails with value 0 when the connection is refused", func() {
		port := reservePort()
		s := newProber(httpProbe(fmt.Sprintf("http://127.0.0.1:%d/", port), 0, ms(500), "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(0.0))
		Expect(s.Detail).To(ContainSubstring("refused"))
	})

	It("rejects a URL that is not http(s)", func() {
		_, err := probes.New(httpProbe("ftp://example/", 0, 0, ""))
		Expect(err).To(MatchError(ContainSubstring("want http://")))
	})

	Context("with netns", func() {
		It("connects from inside the namespace, not from the host", func() {
			ns := newNetns()
			// The same loopback port answers 418 on the host and 200 in the namespace.
			host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusTeapot)
			}))
			DeferCleanup(host.Close)
			hostAddr, ok := host.Listener.Addr().(*net.TCPAddr)
			Expect(ok).To(BeTrue())
			inner := listenIn(ns, hostAddr.String())
			serveHTTP(inner, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))

			s := newProber(httpProbe(host.URL, 0, ms(500), ns)).Check(context.Background())
			Expect(s.OK).To(BeTrue(), s.Detail)
			Expect(s.Value).To(Equal(200.0))

			s = newProber(httpProbe(host.URL, 0, ms(500), "")).Check(context.Background())
			Expect(s.Value).To(Equal(418.0))
		})

		It("reaches a server in another namespace over a veth pair", func() {
			client, server := newNetns(), newNetns()
			joinNetns(client, "veth-c", "198.18.0.1/30", server, "veth-s", "198.18.0.2/30")
			l := listenIn(server, "198.18.0.2:8080")
			serveHTTP(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusAccepted)
			}))
			p := newProber(httpProbe("http://198.18.0.2:8080/", 202, ms(500), client))
			for range 5 {
				s := p.Check(context.Background())
				Expect(s.OK).To(BeTrue(), s.Detail)
				Expect(s.Value).To(Equal(202.0))
			}
		})

		It("fails with a clear detail when the namespace does not exist", func() {
			s := newProber(httpProbe(srv.URL, 0, ms(200), "fl-missing-ns")).Check(context.Background())
			Expect(s.OK).To(BeFalse())
			Expect(s.Detail).To(ContainSubstring("fl-missing-ns"))
		})
	})
})

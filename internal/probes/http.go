package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

func init() {
	Register(Kind{
		Name:   "http",
		Doc:    "GET a URL; ok = the expected status, value = the status",
		Value:  ValueStatus,
		Params: HTTPParams{},
		New:    newHTTP,
	})
}

// HTTPParams are the parameters of an http probe.
type HTTPParams struct {
	URL     string   `json:"url" required:"true" pattern:"^https?://" doc:"The URL to GET."`
	Status  int      `json:"status,omitempty" min:"100" max:"599" default:"200" doc:"Expected status."`
	Timeout Duration `json:"timeout,omitempty" doc:"Per check; default the interval."`
}

// drainLimit is how much of a body is read to keep its connection
// reusable; a longer body costs a reconnect instead.
const drainLimit = 64 << 10

// httpProber GETs a URL. ok = the status equals the expected one; value =
// the status (0 when no response came).
type httpProber struct {
	url     string
	status  int
	timeout time.Duration
	tr      *http.Transport
	client  *http.Client
}

func newHTTP(d Def) (Prober, error) {
	var h HTTPParams
	if err := DecodeParams(d.Params, &h); err != nil {
		return nil, err
	}
	if h.URL == "" {
		return nil, Errorf("url", "missing: the URL to request")
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		return nil, Errorf("url", "bad URL %q: %v", h.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Errorf("url", "bad URL %q: want http://host/... or https://host/...", h.URL)
	}
	status := h.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 599 {
		return nil, Errorf("status", "bad HTTP status %d: want 100 to 599", status)
	}
	tr := &http.Transport{
		Proxy:               nil, // a proxy would leave the probe's namespace
		DialContext:         netnsDialer(d.Netns),
		MaxIdleConns:        2,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &httpProber{
		url:     h.URL,
		status:  status,
		timeout: Timeout(d),
		tr:      tr,
		client: &http.Client{
			Transport: tr,
			// A redirect is an answer to report, not to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func (h *httpProber) Check(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	start := time.Now()
	s := h.get(ctx)
	s.Latency = time.Since(startedAt(ctx, start))
	if !s.OK {
		// The next check must prove the path works, not reuse a
		// connection that may be half dead.
		h.tr.CloseIdleConnections()
	}
	return s
}

func (h *httpProber) get(ctx context.Context) Sample {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return Sample{Detail: err.Error()}
	}
	req.Header.Set("User-Agent", "faultline-probe")
	resp, err := h.client.Do(req)
	if err != nil {
		return Sample{Detail: describeErr(ctx, h.timeout, err)}
	}
	_, rerr := io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	resp.Body.Close()
	s := Sample{Value: float64(resp.StatusCode), OK: resp.StatusCode == h.status}
	switch {
	case !s.OK:
		s.Detail = fmt.Sprintf("status %d, want %d", resp.StatusCode, h.status)
	case rerr != nil:
		s.OK = false
		s.Detail = "reading body: " + describeErr(ctx, h.timeout, rerr)
	}
	return s
}

// describeErr names a timeout as such; other errors keep their text.
func describeErr(ctx context.Context, timeout time.Duration, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %s: %v", timeout, err)
	}
	return err.Error()
}

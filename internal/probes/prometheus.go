package probes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

func init() {
	Register(Kind{
		Name: "prometheus",
		Doc: "an instant PromQL query; value = its scalar or single sample, " +
			"ok = a non-empty result, or the value compared with `ok`",
		Value:        ValueNumber,
		Params:       PrometheusParams{},
		DefaultEvery: 5 * time.Second,
		MinEvery:     time.Second,
		New:          newPrometheus,
	})
}

// PrometheusParams are the parameters of a prometheus probe.
type PrometheusParams struct {
	URL     string   `json:"url" required:"true" pattern:"^https?://" doc:"The Prometheus server, e.g. http://198.18.0.9:9090."`
	Query   string   `json:"query" required:"true" doc:"PromQL giving a scalar or one series, e.g. sum(up{job=\"web\"})."`
	OK      string   `json:"ok,omitempty" doc:"Compare the value, e.g. \"> 0.99\"; default: ok when the result is not empty."`
	Timeout Duration `json:"timeout,omitempty" doc:"Per query; default the interval."`
}

// promProber runs one instant query per check, evaluated at the check's
// own start (so Prometheus' evaluation time and faultline's sample time
// are the same instant; the detail records the former).
type promProber struct {
	url     string
	query   string
	ok      *comparison
	timeout time.Duration
	api     promv1.API
}

func newPrometheus(d Def) (Prober, error) {
	var p PrometheusParams
	if err := DecodeParams(d.Params, &p); err != nil {
		return nil, err
	}
	if p.URL == "" {
		return nil, Errorf("url", "missing: the Prometheus server, e.g. http://198.18.0.9:9090")
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Errorf("url", "bad URL %q: want http://host:port or https://host:port", p.URL)
	}
	if strings.TrimSpace(p.Query) == "" {
		return nil, Errorf("query", "missing: the PromQL query, e.g. up{job=\"web\"} == 1")
	}
	pr := &promProber{url: p.URL, query: p.Query, timeout: Timeout(d)}
	if p.OK != "" {
		c, err := parseComparison(p.OK)
		if err != nil {
			return nil, Errorf("ok", "%v", err)
		}
		pr.ok = &c
	}
	client, err := api.NewClient(api.Config{Address: p.URL, RoundTripper: &http.Transport{
		Proxy:               nil, // a proxy would leave the probe's namespace
		DialContext:         netnsDialer(d.Netns),
		MaxIdleConns:        2,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
	}})
	if err != nil {
		return nil, Errorf("url", "%v", err)
	}
	pr.api = promv1.NewAPI(client)
	return pr, nil
}

// Preflight asks the server the query once: an unreachable server, a
// query it cannot parse, or a query giving several series stops the run
// before anything is injected.
func (p *promProber) Preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, _, _, err := p.api.Query(ctx, p.query, time.Now())
	if err != nil {
		return p.queryErr(err)
	}
	if _, _, err := p.value(v); err != nil {
		return err
	}
	return nil
}

func (p *promProber) queryErr(err error) error {
	var pe *promv1.Error
	if errors.As(err, &pe) && pe.Type == promv1.ErrBadData {
		return fmt.Errorf("prometheus query %q does not parse: %s", p.query, pe.Msg)
	}
	if errors.As(err, &pe) && pe.Type == promv1.ErrClient && strings.Contains(pe.Msg, "404") {
		return fmt.Errorf("prometheus query %q: %s answered 404: not a Prometheus HTTP API (check url): %w", p.query, p.url, err)
	}
	return fmt.Errorf("prometheus query %q: %w", p.query, err)
}

func (p *promProber) Check(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	v, _, _, err := p.api.Query(ctx, p.query, start)
	lat := time.Since(start)
	if err != nil {
		return Sample{Latency: lat, Detail: describeErr(ctx, p.timeout, p.queryErr(err))}
	}
	val, at, err := p.value(v)
	if err != nil {
		return Sample{Latency: lat, Detail: err.Error()}
	}
	s := Sample{Latency: lat, Detail: "evaluated at " + at.Time().UTC().Format("2006-01-02T15:04:05.000Z")}
	switch {
	case val == nil:
		s.Detail = "empty result, " + s.Detail
	case math.IsNaN(*val) || math.IsInf(*val, 0):
		s.Detail = fmt.Sprintf("value %v, %s", *val, s.Detail)
	case p.ok != nil:
		s.Value = *val
		s.OK = p.ok.holds(*val)
		if !s.OK {
			s.Detail = fmt.Sprintf("value %s, want %s, %s", strconv.FormatFloat(*val, 'g', -1, 64), p.ok.text, s.Detail)
		}
	default:
		s.Value, s.OK = *val, true
	}
	return s
}

// value reads a scalar or a vector of at most one sample; nil for an
// empty vector. Several series are an error naming the query.
func (p *promProber) value(v model.Value) (*float64, model.Time, error) {
	switch r := v.(type) {
	case *model.Scalar:
		f := float64(r.Value)
		return &f, r.Timestamp, nil
	case model.Vector:
		switch len(r) {
		case 0:
			return nil, model.Now(), nil
		case 1:
			f := float64(r[0].Value)
			return &f, r[0].Timestamp, nil
		}
		return nil, 0, fmt.Errorf("prometheus query %q returned %d series (%s, ...); a probe needs one: aggregate it, e.g. sum(...) or min(...)",
			p.query, len(r), r[0].Metric)
	}
	return nil, 0, fmt.Errorf("prometheus query %q returned a %s; a probe needs a scalar or an instant vector", p.query, v.Type())
}

// comparison is "<op> N", the `ok` of a prometheus probe.
type comparison struct {
	op   string
	n    float64
	text string
}

func parseComparison(s string) (comparison, error) {
	t := strings.TrimSpace(s)
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if rest, ok := strings.CutPrefix(t, op); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				break
			}
			return comparison{op: op, n: n, text: t}, nil
		}
	}
	return comparison{}, fmt.Errorf("bad comparison %q: want \"<op> N\" with op one of < <= > >= == !=, e.g. \"> 0.99\"", s)
}

func (c comparison) holds(v float64) bool {
	switch c.op {
	case "<":
		return v < c.n
	case "<=":
		return v <= c.n
	case ">":
		return v > c.n
	case ">=":
		return v >= c.n
	case "==":
		return v == c.n
	}
	return v != c.n
}

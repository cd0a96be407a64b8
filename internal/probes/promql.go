package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// promQuery is one instant query against Prometheus' HTTP API
// (/api/v1/query): the few lines the probe needs. The client library
// would link its JSON and protobuf stacks into every faultline process,
// whose package initialisation cost every start (runner and guard) about
// 5 ms here.
type promQuery struct {
	endpoint string
	client   *http.Client
}

// promError is an error the server reported (its errorType and error).
type promError struct {
	Type, Msg string
}

func (e *promError) Error() string { return e.Type + ": " + e.Msg }

// promResult is the data of a successful query: a scalar or an instant
// vector of samples (a matrix or a string is named by its type).
type promResult struct {
	Type    string
	Samples []promSample
}

type promSample struct {
	Metric map[string]string
	Value  float64
	At     time.Time
}

func newPromQuery(base string, rt http.RoundTripper) *promQuery {
	return &promQuery{endpoint: strings.TrimSuffix(base, "/") + "/api/v1/query", client: &http.Client{Transport: rt}}
}

func (q *promQuery) query(ctx context.Context, query string, at time.Time) (promResult, error) {
	form := url.Values{"query": {query}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return promResult{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := q.client.Do(req)
	if err != nil {
		return promResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return promResult{}, err
	}
	var r struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status == "" {
		if resp.StatusCode/100 != 2 {
			return promResult{}, &promError{Type: "client", Msg: fmt.Sprintf("client error: %d", resp.StatusCode)}
		}
		return promResult{}, fmt.Errorf("not a Prometheus answer: %w", errors.Join(err, errors.New(resp.Status)))
	}
	if r.Status != "success" {
		return promResult{}, &promError{Type: r.ErrorType, Msg: r.Error}
	}
	res := promResult{Type: r.Data.ResultType}
	switch res.Type {
	case "scalar":
		var p promPoint
		if err := json.Unmarshal(r.Data.Result, &p); err != nil {
			return promResult{}, fmt.Errorf("scalar: %w", err)
		}
		res.Samples = []promSample{{Value: p.v, At: p.at}}
	case "vector":
		var vs []struct {
			Metric map[string]string `json:"metric"`
			Value  promPoint         `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vs); err != nil {
			return promResult{}, fmt.Errorf("vector: %w", err)
		}
		for _, v := range vs {
			res.Samples = append(res.Samples, promSample{Metric: v.Metric, Value: v.Value.v, At: v.Value.at})
		}
	}
	return res, nil
}

// promPoint is [unix seconds, "value"].
type promPoint struct {
	at time.Time
	v  float64
}

func (p *promPoint) UnmarshalJSON(b []byte) error {
	var raw [2]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var ts float64
	var s string
	if err := json.Unmarshal(raw[0], &ts); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[1], &s); err != nil {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	sec, frac := math.Modf(ts)
	p.at, p.v = time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)), v
	return nil
}

// metricString writes a series as Prometheus does: name{a="b", c="d"}.
func metricString(m map[string]string) string {
	var keys []string
	for k := range m {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, m[k])
	}
	return m["__name__"] + "{" + strings.Join(parts, ", ") + "}"
}
